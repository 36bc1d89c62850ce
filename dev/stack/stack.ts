import { randomBytes } from 'node:crypto';

import { parseFunctionsSettings } from '../../shared/settings';
import { type LocalStorage, startLocalStorage } from '../azurite/local-storage';
import { type DevNode, startDevNode } from '../bigchaindb/dev-node';
import { type RunningHost, startHost } from '../functions-host/host';
import type { HostLogEntry } from '../functions-host/host-log';
import { provisionStorage } from '../provision-storage';
import { type RelayProcess, spawnRelay } from './relay-process';

/** Ports of the local stack; 0 picks a free one. */
export interface StackPorts {
  readonly functions: number;
  readonly bigchainDb: number;
  readonly eventStream: number;
  readonly blob: number;
  readonly queue: number;
  readonly table: number;
}

/** The usual local ports: `func start`'s 7071, BigchainDB's 9984/9985, Azurite's 10000–10002. */
export const DEFAULT_PORTS: StackPorts = {
  functions: 7071,
  bigchainDb: 9984,
  eventStream: 9985,
  blob: 10000,
  queue: 10001,
  table: 10002,
};

/** Options of {@link startStack}. */
export interface StackOptions {
  /** The repository root: the Functions app, its host.json and local.settings.json. */
  readonly appRoot: string;
  readonly ports: StackPorts;
  /** Folders to persist Azurite's and the dev node's data in; omitted, everything lives in memory. */
  readonly dataDirs?: { readonly azurite: string; readonly devNode: string };
  /** A BigchainDB node to use instead of starting the dev node. */
  readonly bigchainDbUrl?: string;
  /**
   * App settings the functions run with (local.settings.json `Values`): at least the leasing company's key and the
   * webhook secret. Storage, BigchainDB and the function key are set by the stack.
   */
  readonly appSettings: Readonly<Record<string, string>>;
  /** The function key clients must send; default: a fresh random one. */
  readonly functionKey?: string;
  /** Where the parts' log lines go, each tagged with the part that wrote it. */
  readonly log: (
    part: StackPart,
    entry: { readonly level: string; readonly msg: string } & Record<string, unknown>,
  ) => void;
}

/** The parts of the stack, as log lines name them. */
export type StackPart = 'stack' | 'azurite' | 'bigchaindb' | 'relay' | 'functions';

/** A running local stack. */
export interface RunningStack {
  /** `http://127.0.0.1:7071/api` */
  readonly apiUrl: string;
  readonly functionKey: string;
  readonly bigchainDbUrl: string;
  /** Undefined when a real node was given. */
  readonly eventStreamUrl: string | undefined;
  readonly storageConnectionString: string;
  /** Azurite's endpoints, `http://127.0.0.1:10000/devstoreaccount1` and so on. */
  readonly storageEndpoints: { readonly blob: string; readonly queue: string; readonly table: string };
  readonly relay: RelayProcess;
  /** Stops the functions host, then the relay (gracefully), then the dev node and Azurite. */
  close(): Promise<void>;
}

/** A port the stack needs is taken; names the part and the flag that moves it. */
export class PortInUseError extends Error {
  override readonly name = 'PortInUseError';
  readonly code = 'STACK_PORT_IN_USE';
  constructor(
    readonly part: string,
    readonly port: number,
    readonly flag: string,
  ) {
    super(`port ${port} (${part}) is already in use; stop what uses it or choose another port with ${flag}`);
  }
}

/**
 * Starts Azurite, the dev node (unless `bigchainDbUrl` is given), creates the queues, tables and containers,
 * then starts the relay as its own process and the Functions app in the local host, in that order, each once
 * the one before is ready. On failure everything started so far is stopped again. One stack per process: like the
 * real worker, the host loads the app's modules once, and they keep the settings of the first stack.
 *
 * @throws PortInUseError when a port is taken; SettingsError when the app settings are unusable.
 */
export async function startStack(options: StackOptions): Promise<RunningStack> {
  const stops: (() => Promise<unknown>)[] = [];
  const closeAll = async (): Promise<void> => {
    for (const stop of stops.reverse()) await stop();
  };
  try {
    const storage = await startAzurite(options);
    stops.push(() => storage.close());
    let node: DevNode | undefined;
    let bigchainDbUrl = options.bigchainDbUrl;
    if (bigchainDbUrl === undefined) {
      const started = await startNode(options);
      stops.push(() => started.close());
      node = started;
      bigchainDbUrl = started.url;
    }
    const functionKey = options.functionKey ?? randomBytes(24).toString('base64url');
    const appSettings: Record<string, string> = {
      ...options.appSettings,
      AzureWebJobsStorage: storage.connectionString,
      BIGCHAINDB_URL: bigchainDbUrl,
      FUNCTIONS_HOST_KEY: functionKey,
    };
    const settings = parseFunctionsSettings(appSettings);
    await provisionStorage(settings.storage, settings.checkpointContainer);
    const relay = await startRelay(options, appSettings);
    stops.push(() => relay.stop('SIGTERM'));
    const host = await startFunctions(options, appSettings);
    stops.push(() => host.close());
    return {
      apiUrl: `${host.url}/api`,
      functionKey,
      bigchainDbUrl,
      eventStreamUrl: node?.streamUrl,
      storageConnectionString: storage.connectionString,
      storageEndpoints: { blob: storage.blobEndpoint, queue: storage.queueEndpoint, table: storage.tableEndpoint },
      relay,
      close: closeAll,
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
}

async function startAzurite(options: StackOptions): Promise<LocalStorage> {
  const { blob, queue, table } = options.ports;
  try {
    return await startLocalStorage({
      blobPort: blob,
      queuePort: queue,
      tablePort: table,
      ...(options.dataDirs ? { location: options.dataDirs.azurite } : {}),
    });
  } catch (error) {
    throw portError(error, 'Azurite', [blob, queue, table], '--blob-port, --queue-port or --table-port');
  }
}

async function startNode(options: StackOptions): Promise<DevNode> {
  try {
    return await startDevNode({
      port: options.ports.bigchainDb,
      wsPort: options.ports.eventStream,
      ...(options.dataDirs ? { dataDir: options.dataDirs.devNode } : {}),
      log: (entry) => options.log('bigchaindb', entry),
    });
  } catch (error) {
    throw portError(
      error,
      'BigchainDB dev node',
      [options.ports.bigchainDb, options.ports.eventStream],
      '--bigchaindb-port or --stream-port',
    );
  }
}

async function startRelay(options: StackOptions, appSettings: Readonly<Record<string, string>>): Promise<RelayProcess> {
  const relay = spawnRelay(
    {
      BIGCHAINDB_URL: appSettings['BIGCHAINDB_URL'] ?? '',
      AzureWebJobsStorage: appSettings['AzureWebJobsStorage'] ?? '',
      RELAY_INSTANCE_ID: 'local-stack',
      // A lease a crashed local relay held expires in 15 s instead of 30 s.
      RELAY_LEASE_SECONDS: '15',
    },
    { onLine: (line) => options.log('relay', parseLine(line)) },
  );
  try {
    await relay.waitForLog(/^leader lease acquired; relaying$/);
  } catch (error) {
    await relay.stop('SIGTERM');
    throw error;
  }
  return relay;
}

async function startFunctions(
  options: StackOptions,
  appSettings: Readonly<Record<string, string>>,
): Promise<RunningHost> {
  try {
    return await startHost({
      appRoot: options.appRoot,
      // The stack runs under tsx, so the app runs from its sources; `npm run build` is for Azure.
      main: 'functions/index.ts',
      port: options.ports.functions,
      settings: appSettings,
      log: (entry: HostLogEntry) => options.log('functions', entry),
    });
  } catch (error) {
    throw portError(error, 'Functions host', [options.ports.functions], '--port');
  }
}

function portError(error: unknown, part: string, ports: readonly number[], flag: string): unknown {
  const code = (error as { code?: unknown } | null)?.code;
  if (code !== 'EADDRINUSE') return error;
  const port = Number((error as { port?: unknown }).port ?? ports[0]);
  return new PortInUseError(part, port, flag);
}

function parseLine(line: string): { level: string; msg: string } & Record<string, unknown> {
  try {
    const entry = JSON.parse(line) as { level?: unknown; msg?: unknown } & Record<string, unknown>;
    // eslint-disable-next-line @typescript-eslint/no-base-to-string -- any JSON value a child process logged as its level is shown as text
    if (typeof entry.msg === 'string') return { ...entry, level: String(entry.level ?? 'info'), msg: entry.msg };
  } catch {
    // not a JSON log line: pass it on as it is
  }
  return { level: 'info', msg: line };
}
