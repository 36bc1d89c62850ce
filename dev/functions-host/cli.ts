import { parseArgs } from 'node:util';

import { stopOnSignals } from '../stop-on-signals';
import { type HostOptions, startHost } from './host';
import { jsonLinesLog } from './host-log';

const USAGE = `Usage: npm run host -- [options]

Runs a v4 Node.js Azure Functions app locally, as "func start" would.

Options:
  --app <dir>           folder with host.json and package.json (default .)
  --main <glob>         entry file(s) instead of package.json "main" (e.g. functions/index.ts under tsx)
  --host <address>      interface for HTTP triggers (default 127.0.0.1)
  --port <n>            HTTP port (default 7071; 0 picks a free port)
  --production          Production environment (1 min default queue polling instead of 2 s)
  --verbose             debug-level logs too
  -h, --help            show this help

Function keys are enforced when FUNCTIONS_MASTER_KEY or FUNCTIONS_HOST_KEY is set (in the
environment or local.settings.json): "function" routes take the host key or the master key,
"admin" routes the master key, as x-functions-key header or ?code= query parameter.
`;

/** Parses the command line; throws with a clear message on a bad flag. */
export function parseHostArguments(
  args: readonly string[],
): (Omit<HostOptions, 'log'> & { verbose: boolean }) | 'help' {
  const { values } = parseArgs({
    args: [...args],
    strict: true,
    options: {
      app: { type: 'string' },
      main: { type: 'string' },
      host: { type: 'string' },
      port: { type: 'string' },
      production: { type: 'boolean' },
      verbose: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return 'help';
  const port = parsePort(values.port);
  return {
    appRoot: values.app ?? '.',
    ...(values.main === undefined ? {} : { main: values.main }),
    host: values.host,
    port,
    environment: values.production ? 'Production' : 'Development',
    verbose: values.verbose ?? false,
  };
}

/** The `--port` value as a number (undefined when not given); throws unless it is a whole number up to 65535. */
function parsePort(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const port = Number(text);
  if (!/^\d+$/.test(text) || port > 65535) {
    throw new Error(`--port must be a whole number from 0 to 65535, got "${text}"`);
  }
  return port;
}

async function main(): Promise<void> {
  let parsed: ReturnType<typeof parseHostArguments>;
  try {
    parsed = parseHostArguments(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  if (parsed === 'help') {
    process.stdout.write(USAGE);
    return;
  }
  const { verbose, ...options } = parsed;
  const log = jsonLinesLog((line) => process.stdout.write(line), verbose ? 'debug' : 'info');
  const host = await startHost({ ...options, log });
  process.stdout.write('\nFunctions:\n');
  for (const fn of host.functions) {
    process.stdout.write(
      fn.url ? `  ${fn.name}: [${String(fn.methods?.join(','))}] ${fn.url}\n` : `  ${fn.name}: ${fn.trigger}\n`,
    );
  }
  stopOnSignals(() => host.close());
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`host failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  });
}
