import { parseArgs } from 'node:util';

import { stopOnSignals } from '../stop-on-signals';
import { type DevNodeOptions, startDevNode } from './dev-node';

const USAGE = `Usage: npm run devnode -- [options]

Runs a local BigchainDB 2.2-compatible node: HTTP API v1 and the Event Stream API.

Options:
  --host <address>            interface to bind (default 127.0.0.1)
  --port <n>                  HTTP API port (default 9984; 0 picks a free port)
  --ws-port <n>               Event Stream port (default 9985; 0 picks a free port)
  --data <dir>                folder of the chain file (default .devnode)
  --memory                    keep the chain in memory only
  --advertised-host <host>    host named in the advertised Event Stream URL
  --block-interval-ms <n>     wait before making a block (default 0)
  -h, --help                  show this help
`;

/** Parses the command line into node options; throws with a clear message on a bad flag. */
export function parseDevNodeArguments(args: readonly string[]): DevNodeOptions | 'help' {
  const { values } = parseArgs({
    args: [...args],
    strict: true,
    options: {
      host: { type: 'string' },
      port: { type: 'string' },
      'ws-port': { type: 'string' },
      data: { type: 'string' },
      memory: { type: 'boolean' },
      'advertised-host': { type: 'string' },
      'block-interval-ms': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return 'help';
  if (values.memory && values.data !== undefined) throw new Error('--memory and --data cannot be used together');
  return {
    host: values.host,
    port: integerFlag('--port', values.port, 65535),
    wsPort: integerFlag('--ws-port', values['ws-port'], 65535),
    dataDir: values.memory ? undefined : (values.data ?? '.devnode'),
    advertisedHost: values['advertised-host'],
    blockIntervalMs: integerFlag('--block-interval-ms', values['block-interval-ms'], 60_000),
  };
}

function integerFlag(flag: string, raw: string | undefined, max: number): number | undefined {
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value > max)
    throw new Error(`${flag} must be a whole number from 0 to ${max}, got "${raw}"`);
  return value;
}

async function main(): Promise<void> {
  let options: DevNodeOptions | 'help';
  try {
    options = parseDevNodeArguments(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  if (options === 'help') {
    process.stdout.write(USAGE);
    return;
  }
  const node = await startDevNode({
    ...options,
    log: (entry) => process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), ...entry })}\n`),
  });
  process.stdout.write(`BigchainDB dev node: API ${node.apiUrl}  Event Stream ${node.streamUrl}\n`);
  stopOnSignals(() => node.close());
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`dev node failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  });
}
