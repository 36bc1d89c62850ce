import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Azurite (the Azure Storage emulator) started in this process: blob, queue and table services.
 * Azurite ships no typings and no public API for this; its own tests build servers from these
 * classes the same way (`tests/queue/utils/QueueTestServerFactory.ts`).
 */

interface AzuriteServer {
  start(): Promise<void>;
  close(): Promise<void>;
  clean(): Promise<void>;
  getHttpServerAddress(): string;
}
type ServerClass = new (configuration: unknown) => AzuriteServer;
type ConfigurationClass = new (...settings: unknown[]) => unknown;

const load = (path: string): unknown =>
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- azurite has no exports map and no types: its server classes are reached by deep requires
  (require(`azurite/dist/src/${path}`) as { default: unknown }).default;
const BlobServer = load('blob/BlobServer') as ServerClass;
const BlobConfiguration = load('blob/BlobConfiguration') as ConfigurationClass;
const QueueServer = load('queue/QueueServer') as ServerClass;
const QueueConfiguration = load('queue/QueueConfiguration') as ConfigurationClass;
const TableServer = load('table/TableServer') as ServerClass;
const TableConfiguration = load('table/TableConfiguration') as ConfigurationClass;

/** Azurite's well-known development account (public, documented; not a secret). */
export const DEV_ACCOUNT_NAME = 'devstoreaccount1';
export const DEV_ACCOUNT_KEY =
  'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

/** Options of {@link startLocalStorage}. */
export interface LocalStorageOptions {
  /** Interface to bind. Default `127.0.0.1`. */
  readonly host?: string;
  /** Ports; 0 (the default) picks free ones. Azurite's usual ports are 10000, 10001, 10002. */
  readonly blobPort?: number;
  readonly queuePort?: number;
  readonly tablePort?: number;
  /** Folder to persist data in; omitted, everything lives in memory and is gone on close. */
  readonly location?: string;
  /**
   * Whether the queue service sweeps the extents of deleted messages, once a minute (Azurite's default). Default
   * true. Each sweep lists every extent in pages of 5,000, each page a full scan of its store, and deletes each
   * unused one with a full re-sort of it: past about 100,000 messages it keeps a core busy, and after a queue that
   * big is cleared it runs for hours. A benchmark turns it off (the extents of deleted messages then stay in memory).
   */
  readonly queueGarbageCollection?: boolean;
}

/** A running local storage account. */
export interface LocalStorage {
  /** A full connection string for the development account, with the three endpoints. */
  readonly connectionString: string;
  readonly blobEndpoint: string;
  readonly queueEndpoint: string;
  readonly tableEndpoint: string;
  /** Stops all three services (in-memory data is dropped). */
  close(): Promise<void>;
}

/**
 * Starts Azurite's blob, queue and table services. The API-version check is off because the
 * newest SDKs that run on Node 20 send versions Azurite 3.35 does not list yet.
 */
export async function startLocalStorage(options: LocalStorageOptions = {}): Promise<LocalStorage> {
  const host = options.host ?? '127.0.0.1';
  const location = options.location;
  const inMemory = location === undefined;
  const at = (file: string): string => (location === undefined ? file : join(location, file));
  const persistence = (folder: string): unknown[] => [
    { locationId: 'Default', locationPath: at(folder), maxConcurrency: 1 },
  ];
  // Positional settings, in Azurite 3.35's order: (…, loose, skipApiVersionCheck, cert, key, pwd, oauth,
  // disableProductStyleUrl, isMemoryPersistence). Access and debug logs are off.
  const common = [false, true, '', '', '', undefined, false, inMemory];
  const servers: AzuriteServer[] = [
    new BlobServer(
      new BlobConfiguration(
        host,
        options.blobPort ?? 0,
        5,
        at('__azurite_db_blob__.json'),
        at('__azurite_db_blob_extent__.json'),
        persistence('__blobstorage__'),
        false,
        undefined,
        false,
        undefined,
        ...common,
      ),
    ),
    withoutGarbageCollection(
      new QueueServer(
        new QueueConfiguration(
          host,
          options.queuePort ?? 0,
          5,
          at('__azurite_db_queue__.json'),
          at('__azurite_db_queue_extent__.json'),
          persistence('__queuestorage__'),
          false,
          undefined,
          false,
          undefined,
          ...common,
        ),
      ),
      options.queueGarbageCollection === false,
    ),
    new TableServer(
      new TableConfiguration(
        host,
        options.tablePort ?? 0,
        5,
        at('__azurite_db_table__.json'),
        false,
        false,
        undefined,
        undefined,
        ...common,
      ),
    ),
  ];
  // Azurite writes its databases into `location` but does not create it (its own CLI does, before it starts).
  if (location !== undefined) await mkdir(location, { recursive: true });
  const started: AzuriteServer[] = [];
  try {
    for (const server of servers) {
      await server.start();
      started.push(server);
    }
  } catch (error) {
    await Promise.all(started.map((server) => server.close()));
    throw error;
  }
  const [blob, queue, table] = servers.map((server) => `${server.getHttpServerAddress()}/${DEV_ACCOUNT_NAME}`) as [
    string,
    string,
    string,
  ];
  return {
    connectionString:
      `DefaultEndpointsProtocol=http;AccountName=${DEV_ACCOUNT_NAME};AccountKey=${DEV_ACCOUNT_KEY};` +
      `BlobEndpoint=${blob};QueueEndpoint=${queue};TableEndpoint=${table};`,
    blobEndpoint: blob,
    queueEndpoint: queue,
    tableEndpoint: table,
    async close() {
      await Promise.all(servers.map((server) => server.close()));
      if (inMemory) await Promise.all(servers.map((server) => server.clean()));
    },
  };
}

/** The server, with its garbage collector dropped when `drop` (QueueServer starts and closes `gcManager` only when set). */
function withoutGarbageCollection(server: AzuriteServer, drop: boolean): AzuriteServer {
  if (drop) (server as AzuriteServer & { gcManager?: unknown }).gcManager = undefined;
  return server;
}
