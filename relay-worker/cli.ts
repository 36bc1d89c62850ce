import { parseArgs } from 'node:util';

import { ensureError } from '../shared/errors';
import { assertReplayRange, type RedriveProgress, type RelayStatus, type ReplayProgress } from './operations';

// The relay's command line: parsing and output text only. relay-worker/main.ts runs the commands.

/** The relay's usage text, printed by `--help` and after a usage error. */
export const RELAY_USAGE = `Usage: npm run relay -- [command] [options]

Commands:
  run                           relay every committed transaction to the queue (the default)
  status [--json]               print the checkpoint, the leader lease holder, the queue and
                                poison queue depths, the newest block and the lag
  replay --from <h> [--to <h>]  put every transaction of blocks --from..--to on the queue again,
                                with source "replay"; without --to, up to the newest block
  redrive                       move every message of the poison queue back to the queue

Options:
  --from <h>                    first block height to replay (a whole number from 0)
  --to <h>                      last block height to replay, inclusive
  --json                        print the status as JSON
  -h, --help                    show this help

Settings come from the environment, as for run. Exit status: 0 on success, 1 when the
command fails, 2 for a usage error.
`;

/** A parsed relay command line. */
export type RelayCommand =
  | { readonly name: 'run' }
  | { readonly name: 'help' }
  | { readonly name: 'status'; readonly json: boolean }
  | { readonly name: 'replay'; readonly from: number; readonly to: number | undefined }
  | { readonly name: 'redrive' };

/** A command line the relay cannot run; the message says why. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  readonly code = 'RELAY_USAGE';
}

const COMMANDS = ['run', 'status', 'replay', 'redrive'] as const;

/**
 * Parses the relay's arguments (after `node main.js`). No arguments means `run`.
 *
 * @throws UsageError naming the unknown command or option, the missing or misplaced flag, or the bad height.
 */
export function parseRelayArguments(args: readonly string[]): RelayCommand {
  const { values, positionals } = parseStrict(args);
  if (values.help) return { name: 'help' };
  const [name = 'run', ...extra] = positionals;
  if (!isCommand(name)) throw new UsageError(`unknown command "${name}"; expected one of ${COMMANDS.join(', ')}`);
  if (extra.length > 0) throw new UsageError(`unexpected argument "${String(extra[0])}" after ${name}`);
  const misplaced = misplacedFlag(name, values);
  if (misplaced !== undefined) throw new UsageError(`${misplaced} is not an option of ${name}`);
  switch (name) {
    case 'status':
      return { name, json: values.json === true };
    case 'replay':
      return replayCommand(values.from, values.to);
    default:
      return { name };
  }
}

function parseStrict(args: readonly string[]): ReturnType<typeof parseRelayArgs> {
  try {
    return parseRelayArgs(args);
  } catch (error: unknown) {
    const { message } = ensureError(error);
    // node:util's message for an unknown option goes on about positionals starting with '-'; keep its first part.
    const unknown = /^Unknown option '([^']+)'/.exec(message);
    throw new UsageError(unknown ? `unknown option "${String(unknown[1])}"` : message);
  }
}

function parseRelayArgs(args: readonly string[]) {
  return parseArgs({
    args: [...args],
    strict: true,
    allowPositionals: true,
    options: {
      from: { type: 'string' },
      to: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

function isCommand(name: string): name is (typeof COMMANDS)[number] {
  return (COMMANDS as readonly string[]).includes(name);
}

/** The first flag given that `command` does not take. */
function misplacedFlag(
  command: (typeof COMMANDS)[number],
  values: { from?: string; to?: string; json?: boolean },
): string | undefined {
  if (command !== 'replay' && values.from !== undefined) return '--from';
  if (command !== 'replay' && values.to !== undefined) return '--to';
  if (command !== 'status' && values.json !== undefined) return '--json';
  return undefined;
}

function replayCommand(rawFrom: string | undefined, rawTo: string | undefined): RelayCommand {
  if (rawFrom === undefined) throw new UsageError('replay needs --from <height>');
  const from = heightFlag('--from', rawFrom);
  const to = rawTo === undefined ? undefined : heightFlag('--to', rawTo);
  try {
    assertReplayRange(from, to);
  } catch {
    throw new UsageError(`--from (${from}) must not be above --to (${String(to)})`);
  }
  return { name: 'replay', from, to };
}

function heightFlag(flag: string, raw: string): number {
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(value)) {
    throw new UsageError(`${flag} must be a block height (a whole number from 0), got "${raw}"`);
  }
  return value;
}

/** `relay status` as people read it: one labelled line per fact. */
export function formatStatus(status: RelayStatus): string {
  const { checkpointHeight, lease, queue, poisonQueue, newestHeight, lag } = status;
  const rows: [string, string][] = [
    [
      'checkpoint',
      checkpointHeight === null ? 'none (the relay starts at RELAY_START_HEIGHT)' : `block ${checkpointHeight}`,
    ],
    ['leader lease', formatLease(lease)],
    ['queue', `${queue.name}: ${messages(queue.approximateMessagesCount)}`],
    ['poison queue', `${poisonQueue.name}: ${messages(poisonQueue.approximateMessagesCount)}`],
    ['newest block', newestHeight === null ? 'none (the node has no blocks)' : `block ${newestHeight}`],
    ['lag', lag === null ? 'unknown' : `${lag} ${lag === 1 || lag === -1 ? 'block' : 'blocks'}`],
  ];
  return rows.map(([label, value]) => `${`${label}:`.padEnd(14)}${value}\n`).join('');
}

function formatLease({ state, instanceId, acquiredAt }: RelayStatus['lease']): string {
  const holder = instanceId === undefined ? '' : ` (${state === 'leased' ? 'held by' : 'last held by'} ${instanceId}`;
  const since = holder === '' || acquiredAt === undefined ? '' : ` since ${acquiredAt}`;
  return `${state}${holder}${since}${holder === '' ? '' : ')'}`;
}

function messages(count: number): string {
  return `${count} ${count === 1 ? 'message' : 'messages'} (approximate)`;
}

/** One line of `relay replay` progress, e.g. `replay: 200 blocks (through block 209), 412 messages`. */
export function formatReplayProgress({ blocks, messages: sent, lastHeight, done }: ReplayProgress): string {
  const through = lastHeight === null ? '' : ` (through block ${lastHeight})`;
  return `replay${done ? ' done' : ''}: ${blocks} ${blocks === 1 ? 'block' : 'blocks'}${through}, ${sent} ${sent === 1 ? 'message' : 'messages'}\n`;
}

/** Says where a replay stopped short of `--to`, or nothing when it reached it (or had no `--to`). */
export function formatReplayShortfall(
  command: { from: number; to: number | undefined },
  lastHeight: number | null,
): string {
  if (command.to === undefined || lastHeight === command.to) return '';
  const firstMissing = lastHeight === null ? command.from : lastHeight + 1;
  return `replay stopped before --to ${command.to}: the node has no block ${firstMissing} yet\n`;
}

/** One line of `relay redrive` progress or its result. */
export function formatRedriveProgress({ moved }: RedriveProgress, done = false): string {
  return `redrive${done ? ' done' : ''}: ${moved} ${moved === 1 ? 'message' : 'messages'} moved back to the queue\n`;
}
