import { EventEmitter } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';

import { QueueServiceClient } from '@azure/storage-queue';

import { type RunningHost, startHost } from '../../dev/functions-host/host';
import type { HostLogEntry } from '../../dev/functions-host/host-log';
import { provisionStorage } from '../../dev/provision-storage';
import { type AzuriteProcess, spawnAzurite } from '../../dev/stack/azurite-process';
import { type DevNodeProcess, spawnDevNode } from '../../dev/stack/dev-node-process';
import { type RelayProcess, spawnRelay } from '../../dev/stack/relay-process';
import { createServices, type Services } from '../../functions/services';
import { BigchainDbClient } from '../../shared/bigchaindb-client';
import { findNewestHeight } from '../../shared/block-heights';
import { parseFunctionsSettings } from '../../shared/settings';
import { generateKeyPair, type KeyPair } from '../../shared/transaction/signing';
import { TEST_WEBHOOK_SECRET } from './functions-app';
import {
  consumePremiumChanges,
  type PremiumChangesConsumer,
  type PremiumOutcome,
  readPremiumOutcome,
} from './premium-outcome';

// The whole product as it runs locally, in the parts a fault can hit separately: Azurite, the dev node and the
// relay each as a child process (so that each can be killed or restarted, and each has a core to itself where there
// is one), and the Functions app in the local host in this process. The composition is the one of
// dev/stack/stack.ts; the knobs differ: fast polling, short timeouts and restartable parts.

/** Options of {@link startE2eStack}. */
export interface E2eStackOptions {
  /**
   * `AzureFunctionsJobHost__extensions__queues__*` overrides on top of the stack's defaults (maxPollingInterval
   * 100 ms, visibilityTimeout 1 s), e.g. `{ maxDequeueCount: '2' }`.
   */
  readonly queues?: Readonly<Record<string, string>>;
  /** Run the host with host.json's queue settings as they are, without the stack's defaults (the bench does). */
  readonly hostJsonQueues?: boolean;
  /** Extra relay settings (`RELAY_*`). */
  readonly relay?: Readonly<Record<string, string>>;
  /** Whether the relay starts with the stack. Default true; false lets a test commit a backlog first. */
  readonly startRelay?: boolean;
  /**
   * Keep Azurite's data in a temporary folder, so that {@link E2eStack.restartStorage} finds it again. Default false:
   * in memory, which is faster.
   */
  readonly persistStorage?: boolean;
  /** Where the parts' log lines go besides the stack's own buffers (say, `console.log` while debugging). */
  readonly echo?: (part: Part, line: string) => void;
}

/** The parts of the stack, as its output names them. */
export type Part = 'azurite' | 'bigchaindb' | 'relay' | 'functions';

/** A running end-to-end stack. */
export interface E2eStack {
  /** Azurite's process of now (a new one after {@link restartStorage}; the endpoints stay the same). */
  readonly storage: AzuriteProcess;
  /** The dev node's process of now (a new one after {@link restartNode}; the URLs stay the same). */
  readonly node: DevNodeProcess;
  /** The relay process of now; undefined between a kill and the next {@link startRelay}. */
  readonly relay: RelayProcess | undefined;
  /** The Functions host of now (a new one after {@link startHost}). */
  readonly host: RunningHost;
  /** Stops the Functions host (waiting for its invocations); queue messages wait for {@link startHost}. */
  stopHost(): Promise<void>;
  /** Starts the Functions host again, with the same settings (the app itself stays loaded). */
  startHost(): Promise<void>;
  readonly company: KeyPair;
  /** The app's clients on this stack's Azurite (tables, queues), for setting up and checking. */
  readonly services: Services;
  /** Every host log entry so far. */
  readonly hostLogs: readonly HostLogEntry[];
  /** Resolves once `done()` holds, checking it now and after every host log entry. */
  untilLogged(done: () => boolean): Promise<void>;
  /** Resolves with the first host log entry from index `from` on whose message matches. */
  waitForHostLog(pattern: RegExp, from?: number): Promise<HostLogEntry>;
  /** Resolves once the host has logged `premium of lease <id> announced` for every one of `leaseIds`. */
  waitForAnnounced(leaseIds: readonly string[]): Promise<void>;
  /** Lease ids announced so far. */
  readonly announced: ReadonlySet<string>;
  /** The downstream consumer of `premium-changes`, running from the start. */
  readonly premiumChanges: PremiumChangesConsumer;
  /** Drains `premium-changes` and reads the outcome against every lease so far: see {@link readPremiumOutcome}. */
  outcome(leaseIds: readonly string[]): Promise<PremiumOutcome>;
  /** Starts a relay process (instance `relay-<n>`) and resolves once it holds the leader lease. */
  startRelay(env?: Readonly<Record<string, string>>): Promise<RelayProcess>;
  /** Kills the dev node with `signal` and starts it again on the same ports and chain file. */
  restartNode(signal: NodeJS.Signals): Promise<void>;
  /**
   * Stops Azurite with SIGTERM (it saves its data: `persistStorage`), runs `whileDown`, then starts it again on the same
   * ports and data.
   */
  restartStorage(whileDown?: () => Promise<void>): Promise<void>;
  /** The newest block height on the node. */
  newestHeight(): Promise<number>;
  /**
   * Resolves once `ledger-events` holds no message, visible or not. The queue is filled by another process and
   * emptied by the host's deletes, neither of which is an event this process can await, so it asks Azurite again
   * 100 ms after each answer.
   */
  waitForEmptyLedgerEvents(): Promise<void>;
  /** Everything every part logged, for a failure message. */
  output(): string;
  /** Stops the host, kills the relay and the dev node, closes Azurite and removes the data folders. */
  close(): Promise<void>;
}

const ANNOUNCED = /^premium of lease ([0-9a-f]{64}) announced on premium-changes$/;

/** The stack a test file's `beforeAll` started; throws a clear error in the tests when it did not start. */
export function runningStack(stack: E2eStack | undefined): E2eStack {
  if (stack === undefined) throw new Error('the end-to-end stack did not start');
  return stack;
}

/**
 * Starts Azurite (in memory, or in a temporary folder with `persistStorage`) and the dev node (its chain file in a
 * temporary folder) as processes, creates the storage layout and the `premium-changes` consumer, then starts the
 * Functions host with the app from its sources and, unless told not to, a relay process. On failure, everything
 * started so far is stopped again.
 */
export async function startE2eStack(options: E2eStackOptions = {}): Promise<E2eStack> {
  const dataDir = await mkdtemp(join(tmpdir(), 'e2e-stack-'));
  const lines: string[] = [];
  const keep = (part: Part, line: string): void => {
    lines.push(`[${part}] ${line}`);
    options.echo?.(part, line);
  };
  const parts: Partial<{ storage: AzuriteProcess; node: DevNodeProcess; host: RunningHost; services: Services }> = {};
  const relays: RelayProcess[] = [];
  let consumer: PremiumChangesConsumer | undefined;
  const closeAll = async (): Promise<void> => {
    await consumer?.stop().catch(() => undefined);
    await parts.host?.close().catch(() => undefined);
    await Promise.all(relays.map((relay) => relay.stop('SIGKILL')));
    await parts.node?.stop('SIGKILL');
    await parts.services?.telemetry.shutdown();
    await parts.storage?.stop('SIGKILL');
    await rm(dataDir, { recursive: true, force: true });
  };
  try {
    const azuriteDir = join(dataDir, 'azurite');
    const nodeDir = join(dataDir, 'devnode');
    const startStorage = (ports: {
      blobPort?: number;
      queuePort?: number;
      tablePort?: number;
    }): Promise<AzuriteProcess> =>
      spawnAzurite({
        ...ports,
        ...(options.persistStorage === true ? { location: azuriteDir } : {}),
        onLine: (line) => keep('azurite', line),
      });
    const spawnNode = (ports: { port?: number; wsPort?: number }): Promise<DevNodeProcess> =>
      spawnDevNode({ ...ports, dataDir: nodeDir, onLine: (line) => keep('bigchaindb', line) });
    const [storage, node] = await Promise.allSettled([startStorage({}), spawnNode({})]);
    if (storage.status === 'fulfilled') parts.storage = storage.value;
    if (node.status === 'fulfilled') parts.node = node.value;
    if (storage.status === 'rejected') throw storage.reason;
    if (node.status === 'rejected') throw node.reason;
    const company = generateKeyPair();
    const appSettings = {
      AzureWebJobsStorage: storage.value.connectionString,
      BIGCHAINDB_URL: node.value.url,
      LEASING_COMPANY_PRIVATE_KEY: company.privateKey,
      LEDGER_WEBHOOK_SECRET: TEST_WEBHOOK_SECRET,
    };
    const settings = parseFunctionsSettings(appSettings);
    await provisionStorage(settings.storage, settings.checkpointContainer);
    parts.services = createServices(settings);
    // Its own client without retries: during an outage it should try again soon rather than back off for seconds.
    const premiumChanges = QueueServiceClient.fromConnectionString(appSettings.AzureWebJobsStorage, {
      retryOptions: { maxTries: 1 },
    });
    consumer = consumePremiumChanges(premiumChanges.getQueueClient(parts.services.premiumChanges.name));
    const changes = consumer;

    const hostLogs: HostLogEntry[] = [];
    const announced = new Set<string>();
    const events = new EventEmitter();
    events.setMaxListeners(0);
    const queueOverrides = Object.fromEntries(
      Object.entries({
        ...(options.hostJsonQueues === true
          ? {}
          : { maxPollingInterval: '00:00:00.100', visibilityTimeout: '00:00:01' }),
        ...options.queues,
      }).map(([key, value]) => [`AzureFunctionsJobHost__extensions__queues__${key}`, value]),
    );
    let relaySerial = 0;
    const startRelay = async (env: Readonly<Record<string, string>> = {}): Promise<RelayProcess> => {
      const relay = spawnRelay(
        {
          BIGCHAINDB_URL: appSettings.BIGCHAINDB_URL,
          AzureWebJobsStorage: appSettings.AzureWebJobsStorage,
          RELAY_INSTANCE_ID: `relay-${++relaySerial}`,
          // The shortest lease Azure allows: a killed relay's successor waits at most 15 s.
          RELAY_LEASE_SECONDS: '15',
          RELAY_IDLE_PROBE_MS: '500',
          RELAY_RECONNECT_MAX_DELAY_MS: '500',
          ...options.relay,
          ...env,
        },
        { onLine: (line) => keep('relay', line) },
      );
      relays.push(relay);
      await relay.waitForLog(/^leader lease acquired; relaying$/);
      return relay;
    };
    // The relay (a process) starts while this one loads the app.
    const relayStarting = options.startRelay !== false ? startRelay() : undefined;
    relayStarting?.catch(() => undefined);
    const launchHost = async (): Promise<RunningHost> =>
      (parts.host = await startHost({
        appRoot: join(__dirname, '../..'),
        main: 'functions/index.ts',
        port: 0,
        settings: { ...appSettings, FUNCTIONS_WORKER_RUNTIME: 'node', ...queueOverrides },
        shutdownGraceMs: 5_000,
        log: (entry) => {
          hostLogs.push(entry);
          const id = ANNOUNCED.exec(entry.msg)?.[1];
          if (id !== undefined) {
            announced.add(id);
            changes.wake();
          }
          if (entry.level === 'error') keep('functions', `${entry.level}: ${entry.msg}`);
          events.emit('entry');
        },
      }));
    await launchHost();
    const until = (done: () => boolean): Promise<void> =>
      new Promise((resolve) => {
        const check = (): void => {
          if (!done()) return;
          events.off('entry', check);
          resolve();
        };
        events.on('entry', check);
        check();
      });

    const { services } = parts;
    await relayStarting;

    const bigchainDb = (): BigchainDbClient => new BigchainDbClient({ apiUrl: (parts.node as DevNodeProcess).apiUrl });
    const stack: E2eStack = {
      get storage() {
        return parts.storage as AzuriteProcess;
      },
      get node() {
        return parts.node as DevNodeProcess;
      },
      get relay() {
        const relay = relays.at(-1);
        return relay?.hasExited === false ? relay : undefined;
      },
      get host() {
        return parts.host as RunningHost;
      },
      async stopHost() {
        await parts.host?.close();
        parts.host = undefined;
      },
      async startHost() {
        await launchHost();
      },
      company,
      services,
      hostLogs,
      announced,
      premiumChanges: changes,
      outcome: (leaseIds) => readPremiumOutcome(services, changes, leaseIds),
      untilLogged: until,
      async waitForHostLog(pattern, from = 0) {
        let next = from;
        await until(() => {
          for (; next < hostLogs.length; next++) if (pattern.test((hostLogs[next] as HostLogEntry).msg)) return true;
          return false;
        });
        return hostLogs[next] as HostLogEntry;
      },
      waitForAnnounced(leaseIds) {
        // Checked after every host log entry: remember where the last check stopped rather than start over.
        let checked = 0;
        return until(() => {
          while (checked < leaseIds.length && announced.has(leaseIds[checked] as string)) checked++;
          return checked === leaseIds.length;
        });
      },
      startRelay,
      async restartNode(signal) {
        const { port, wsPort } = parts.node as DevNodeProcess;
        await (parts.node as DevNodeProcess).stop(signal);
        parts.node = await spawnNode({ port, wsPort });
      },
      async restartStorage(whileDown) {
        if (options.persistStorage !== true)
          throw new Error('restartStorage needs a stack started with persistStorage: true');
        const { blob, queue, table } = (parts.storage as AzuriteProcess).ports;
        const exit = await (parts.storage as AzuriteProcess).stop('SIGTERM');
        if (exit.code !== 0)
          throw new Error(
            `Azurite did not stop cleanly on SIGTERM (${JSON.stringify(exit)}):\n${(parts.storage as AzuriteProcess).output()}`,
          );
        await whileDown?.();
        parts.storage = await startStorage({ blobPort: blob, queuePort: queue, tablePort: table });
      },
      async newestHeight() {
        return (await findNewestHeight(bigchainDb(), 0, undefined)) ?? -1;
      },
      async waitForEmptyLedgerEvents() {
        while (((await services.ledgerEvents.getProperties()).approximateMessagesCount ?? 0) > 0) {
          await delay(100);
        }
      },
      output: () => lines.join('\n'),
      close: closeAll,
    };
    return stack;
  } catch (error) {
    await closeAll();
    throw error;
  }
}
