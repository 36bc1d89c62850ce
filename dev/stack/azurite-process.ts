import { dirname, join } from 'node:path';

import { DEV_ACCOUNT_KEY, DEV_ACCOUNT_NAME, type LocalStorage } from '../azurite/local-storage';
import { type LoggedProcess, spawnLogged } from './child-process';

// Azurite as its own process, through the azurite package's own command line, with the settings of
// dev/azurite/local-storage.ts (API-version check off). In its own process it uses a core of its own, which the
// end-to-end tests and bench need (it is about half the CPU time of a lease), and it can be stopped and started
// again on its data like a real service.

const azuriteMain = join(dirname(require.resolve('azurite/package.json')), 'dist/src/azurite.js');

/** Options of {@link spawnAzurite}. */
export interface SpawnAzuriteOptions {
  /** Ports; 0 (the default) picks free ones. Pass the first run's ports to restart where clients expect it. */
  readonly blobPort?: number;
  readonly queuePort?: number;
  readonly tablePort?: number;
  /** Folder to keep the data in; omitted, everything lives in memory and is gone when the process ends. */
  readonly location?: string;
  /** Called with each line Azurite writes to stdout or stderr. */
  readonly onLine?: (line: string) => void;
}

/** Azurite running as a child process. */
export interface AzuriteProcess
  extends Pick<LoggedProcess, 'child' | 'exited' | 'output' | 'stop'>, Omit<LocalStorage, 'close'> {
  readonly ports: { readonly blob: number; readonly queue: number; readonly table: number };
}

/**
 * Starts Azurite's blob, queue and table services on 127.0.0.1 and resolves once all three listen. Stop it with
 * SIGTERM to have it save its data and close (`location`), or SIGKILL for a crash.
 *
 * @throws Error with the process's output when it exits before it listens.
 */
export async function spawnAzurite(options: SpawnAzuriteOptions = {}): Promise<AzuriteProcess> {
  const args = [
    azuriteMain,
    '--silent',
    '--skipApiVersionCheck',
    '--disableTelemetry',
    '--blobHost',
    '127.0.0.1',
    '--queueHost',
    '127.0.0.1',
    '--tableHost',
    '127.0.0.1',
  ];
  args.push(
    '--blobPort',
    String(options.blobPort ?? 0),
    '--queuePort',
    String(options.queuePort ?? 0),
    '--tablePort',
    String(options.tablePort ?? 0),
  );
  args.push(...(options.location === undefined ? ['--inMemoryPersistence'] : ['--location', options.location]));
  const azurite = spawnLogged(args, { cwd: process.cwd(), ...(options.onLine ? { onLine: options.onLine } : {}) });
  const listening =
    (service: string) =>
    (line: string): string | undefined =>
      new RegExp(`^Azurite ${service} service is successfully listening at (http://\\S+)$`).exec(line)?.[1];
  try {
    const [blob, queue, table] = await Promise.all(
      ['Blob', 'Queue', 'Table'].map((service) => azurite.waitForLine(listening(service))),
    );
    const endpoint = (url: string | undefined): string => `${String(url)}/${DEV_ACCOUNT_NAME}`;
    const port = (url: string | undefined): number => Number(new URL(String(url)).port);
    return {
      child: azurite.child,
      exited: azurite.exited,
      output: azurite.output,
      stop: azurite.stop,
      connectionString:
        `DefaultEndpointsProtocol=http;AccountName=${DEV_ACCOUNT_NAME};AccountKey=${DEV_ACCOUNT_KEY};` +
        `BlobEndpoint=${endpoint(blob)};QueueEndpoint=${endpoint(queue)};TableEndpoint=${endpoint(table)};`,
      blobEndpoint: endpoint(blob),
      queueEndpoint: endpoint(queue),
      tableEndpoint: endpoint(table),
      ports: { blob: port(blob), queue: port(queue), table: port(table) },
    };
  } catch (error) {
    await azurite.stop('SIGKILL');
    throw error;
  }
}
