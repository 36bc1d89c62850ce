import { join } from 'node:path';
import { parseArgs } from 'node:util';

import { readLocalSettings } from '../functions-host/host-config';
import { ensureLocalSettings } from '../local-settings';
import { stopOnSignals } from '../stop-on-signals';
import {
  DEFAULT_PORTS,
  type RunningStack,
  type StackOptions,
  type StackPart,
  type StackPorts,
  startStack,
} from './stack';

const USAGE = `Usage: npm start -- [options]

Runs the whole product locally: Azurite, the BigchainDB dev node, the relay and the Functions app.
Set BIGCHAINDB_URL to use a running BigchainDB node instead of the dev node.

Options:
  --memory                 keep storage and the chain in memory (default: .azurite/ and .devnode/)
  --port <n>               Functions HTTP port (default 7071)
  --bigchaindb-port <n>    dev node HTTP API port (default 9984)
  --stream-port <n>        dev node Event Stream port (default 9985)
  --blob-port <n>          Azurite blob port (default 10000)
  --queue-port <n>         Azurite queue port (default 10001)
  --table-port <n>         Azurite table port (default 10002)
  --quiet                  print only warnings and errors once started
  -h, --help               show this help
`;

/** What `npm start` was asked to do. */
export interface StackArguments {
  readonly ports: StackPorts;
  readonly memory: boolean;
  readonly quiet: boolean;
}

const PORT_FLAGS = {
  port: 'functions',
  'bigchaindb-port': 'bigchainDb',
  'stream-port': 'eventStream',
  'blob-port': 'blob',
  'queue-port': 'queue',
  'table-port': 'table',
} as const satisfies Record<string, keyof StackPorts>;

/** Parses the command line; throws with a clear message on a bad flag. */
export function parseStackArguments(args: readonly string[]): StackArguments | 'help' {
  const portOptions = Object.fromEntries(Object.keys(PORT_FLAGS).map((flag) => [flag, { type: 'string' as const }]));
  const { values }: { values: Record<string, string | boolean | undefined> } = parseArgs({
    args: [...args],
    strict: true,
    options: {
      ...portOptions,
      memory: { type: 'boolean' },
      quiet: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values['help'] === true) return 'help';
  const ports: Record<keyof StackPorts, number> = { ...DEFAULT_PORTS };
  for (const [flag, part] of Object.entries(PORT_FLAGS)) {
    const raw = values[flag];
    if (typeof raw !== 'string') continue;
    if (!/^\d+$/.test(raw) || Number(raw) > 65535)
      throw new Error(`--${flag} must be a whole number from 0 to 65535, got "${raw}"`);
    ports[part] = Number(raw);
  }
  return { ports, memory: values['memory'] === true, quiet: values['quiet'] === true };
}

const LEVEL_MARK: Readonly<Record<string, string>> = { warn: ' warning:', error: ' error:' };

function printer(quiet: () => boolean): StackOptions['log'] {
  return (part: StackPart, entry) => {
    if (entry.level === 'debug' || (quiet() && entry.level === 'info')) return;
    process.stdout.write(`[${part}]${LEVEL_MARK[entry.level] ?? ''} ${entry.msg}\n`);
  };
}

function summary(stack: RunningStack, args: StackArguments, realNode: boolean): string {
  const where = args.memory ? 'in memory' : 'data in .azurite/ and .devnode/';
  const rows = [
    ['Functions API', `${stack.apiUrl}   (header x-functions-key: ${stack.functionKey})`],
    ['OpenAPI', `${stack.apiUrl}/openapi.json`],
    ['Health', `${stack.apiUrl}/health`],
    [
      'BigchainDB',
      `${stack.bigchainDbUrl}${realNode ? '   (BIGCHAINDB_URL)' : `   (dev node, Event Stream ${stack.eventStreamUrl ?? ''})`}`,
    ],
    [
      'Azurite',
      `${Object.entries(stack.storageEndpoints)
        .map(([service, url]) => `${service} ${new URL(url).port}`)
        .join(', ')}   (${where})`,
    ],
    ['Relay', `process ${stack.relay.child.pid ?? '?'}   (npm run relay -- status)`],
  ];
  const lines = rows.map(([name, value]) => `  ${(name ?? '').padEnd(15)}${value ?? ''}`);
  return `\nLocal stack running:\n${lines.join('\n')}\n\nTry:  curl -H "x-functions-key: ${stack.functionKey}" ${stack.apiUrl}/health\n      npm run demo -- --url ${stack.apiUrl} --key ${stack.functionKey}\nCtrl-C stops everything.\n\n`;
}

async function main(): Promise<void> {
  let args: StackArguments | 'help';
  try {
    args = parseStackArguments(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  if (args === 'help') {
    process.stdout.write(USAGE);
    return;
  }
  const appRoot = join(__dirname, '../..');
  const filled = ensureLocalSettings(appRoot);
  if (filled.length > 0)
    process.stdout.write(`[stack] local.settings.json: generated ${filled.join(', ')} (git-ignored)\n`);
  const localSettings = readLocalSettings(appRoot);
  const bigchainDbUrl = process.env['BIGCHAINDB_URL'];
  const quiet = args.quiet;
  let started = false;
  const stack = await startStack({
    appRoot,
    ports: args.ports,
    ...(args.memory ? {} : { dataDirs: { azurite: join(appRoot, '.azurite'), devNode: join(appRoot, '.devnode') } }),
    ...(bigchainDbUrl ? { bigchainDbUrl } : {}),
    appSettings: localSettings,
    ...(localSettings['FUNCTIONS_HOST_KEY'] ? { functionKey: localSettings['FUNCTIONS_HOST_KEY'] } : {}),
    log: printer(() => started && quiet),
  });
  started = true;
  process.stdout.write(summary(stack, args, bigchainDbUrl !== undefined));
  let stopping = false;
  stopOnSignals(async () => {
    stopping = true;
    process.stdout.write('[stack] stopping…\n');
    await stack.close();
    process.stdout.write('[stack] stopped\n');
  });
  void stack.relay.exited.then((exit) => {
    if (!stopping)
      process.stderr.write(
        `[stack] error: the relay exited (${exit.signal ?? `code ${String(exit.code)}`}); restart the stack\n`,
      );
  });
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`[stack] error: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  });
}
