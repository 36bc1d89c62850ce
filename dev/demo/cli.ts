import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import { generateKeyPair } from '../../shared/transaction/signing';
import { type RunningStack, startStack } from '../stack/stack';
import { LeasingApi } from './api-client';
import { formatOutcomes } from './report';
import { runScenario } from './scenario';

const USAGE = `Usage: npm run demo -- [options]

Tells the car-leasing story end to end: registers cars with their substances of concern, records drivers,
leases, returns and re-leases cars, waits for every premium and prints them with the factors behind them.
Without --url it starts its own stack in memory (Azurite, dev node, relay, Functions) and stops it after.

Options:
  --url <api url>     a running stack's API, e.g. http://127.0.0.1:7071/api (see npm start)
  --key <key>         its function key (x-functions-key)
  --timeout <s>       how long to wait for the premiums (default 60)
  -h, --help          show this help
`;

interface DemoArguments {
  readonly url: string | undefined;
  readonly key: string | undefined;
  readonly timeoutMs: number;
}

function parseDemoArguments(args: readonly string[]): DemoArguments | 'help' {
  const { values } = parseArgs({
    args: [...args],
    strict: true,
    options: {
      url: { type: 'string' },
      key: { type: 'string' },
      timeout: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return 'help';
  const timeout = values.timeout ?? '60';
  if (!/^\d+$/.test(timeout) || Number(timeout) === 0)
    throw new Error(`--timeout must be a whole number of seconds, got "${timeout}"`);
  if (values.url !== undefined && !/^https?:\/\//.test(values.url))
    throw new Error(`--url must be an http(s) URL, got "${values.url}"`);
  return { url: values.url, key: values.key, timeoutMs: Number(timeout) * 1000 };
}

const say = (message: string): void => void process.stdout.write(`${message}\n`);

async function ownStack(): Promise<RunningStack> {
  say('starting a local stack in memory (Azurite, BigchainDB dev node, relay, Functions host)…');
  return startStack({
    appRoot: join(__dirname, '../..'),
    ports: { functions: 0, bigchainDb: 0, eventStream: 0, blob: 0, queue: 0, table: 0 },
    appSettings: {
      LEASING_COMPANY_PRIVATE_KEY: generateKeyPair().privateKey,
      LEDGER_WEBHOOK_SECRET: randomBytes(32).toString('base64url'),
    },
    log: (part, entry) => {
      if (entry.level === 'warn' || entry.level === 'error') say(`  [${part}] ${entry.level}: ${entry.msg}`);
    },
  });
}

async function main(): Promise<void> {
  let args: DemoArguments | 'help';
  try {
    args = parseDemoArguments(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  if (args === 'help') {
    say(USAGE);
    return;
  }
  const stack = args.url === undefined ? await ownStack() : undefined;
  try {
    const api = new LeasingApi(stack?.apiUrl ?? (args.url as string), stack?.functionKey ?? args.key);
    const outcomes = await runScenario(api, (message) => say(`  ${message}`), args.timeoutMs);
    say(`\n${formatOutcomes(outcomes)}\n`);
    say(`every lease priced: ${outcomes.length} premiums stored`);
  } finally {
    await stack?.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`demo failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
