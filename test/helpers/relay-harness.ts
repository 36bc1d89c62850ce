import { EventEmitter } from 'node:events';

import type { ContainerClient } from '@azure/storage-blob';
import type { QueueClient } from '@azure/storage-queue';

import { connectEventStream } from '../../relay-worker/event-stream-client';
import { Relay, type RelayDependencies } from '../../relay-worker/relay';
import { BigchainDbClient } from '../../shared/bigchaindb-client';
import { BlobCheckpointStore } from '../../shared/blob-checkpoint-store';
import { type Checkpointer, openCheckpointer } from '../../shared/checkpoint';
import type { LogEntry } from '../../shared/json-log';
import { decodeLedgerEvent } from '../../shared/ledger-event';
import type { Telemetry } from '../../shared/telemetry';

/** Options of {@link startRelay}. */
export interface RelayHarnessOptions {
  /** The node's API root, `…/api/v1/`. */
  readonly apiUrl: string;
  /** Event Stream URL; default: as the node advertises it. */
  readonly streamUrl?: string;
  /** Where messages go. */
  readonly queue: QueueClient;
  /** Container of the checkpoint blob `ledger-events/checkpoint.json`. */
  readonly container: ContainerClient;
  /** Where the relay's telemetry goes; default: nowhere. */
  readonly telemetry?: Telemetry;
}

/** A {@link Relay} with real parts running in this process, watched by the test. */
export interface RelayHarness {
  readonly relay: Relay;
  readonly checkpointer: Checkpointer;
  /** Every log entry so far, in order. */
  readonly logs: readonly LogEntry[];
  /** Successful queue sends so far, by transaction id. */
  readonly sent: ReadonlyMap<string, number>;
  /**
   * Resolves with the first entry from index `from` on (default 0) whose `msg` matches `pattern` and that
   * satisfies `where`, at once if one was already logged.
   */
  waitForLog(pattern: RegExp, from?: number, where?: (entry: LogEntry) => boolean): Promise<LogEntry>;
  /** Resolves once every one of `transactionIds` was sent at least once. */
  waitUntilSent(transactionIds: readonly string[]): Promise<void>;
  /** Aborts the run and resolves once it returned and its checkpoint writes finished. */
  stop(): Promise<void>;
}

/**
 * Starts a relay (idle probe 150 ms, reconnect back-off up to 200 ms, send concurrency 16, the default checkpoint
 * interval of 1 s) once its checkpoint is loaded; wait for `relaying live` to know it caught up. Stop it with
 * {@link RelayHarness.stop}.
 */
export async function startRelay(options: RelayHarnessOptions): Promise<RelayHarness> {
  const events = new EventEmitter();
  const logs: LogEntry[] = [];
  const sent = new Map<string, number>();
  const checkpointer = await openCheckpointer(
    new BlobCheckpointStore({ container: options.container, blobName: 'ledger-events/checkpoint.json' }),
  );
  const deps: RelayDependencies = {
    settings: {
      bigchainDbApiUrl: options.apiUrl,
      streamUrl: options.streamUrl,
      startHeight: 0,
      sendConcurrency: 16,
      maxBufferedEvents: 1_000,
      pingIntervalMs: 1_000,
      idleProbeMs: 150,
      reconnectMaxDelayMs: 200,
      backfillBatchBlocks: 5,
      checkpointIntervalMs: 1_000,
    },
    bigchainDb: new BigchainDbClient({ apiUrl: options.apiUrl }),
    connectStream: connectEventStream,
    send: async (text) => {
      await options.queue.sendMessage(text);
      const id = decodeLedgerEvent(text).transaction_id;
      sent.set(id, (sent.get(id) ?? 0) + 1);
      events.emit('change');
    },
    checkpointer,
    log: (entry) => {
      logs.push(entry);
      events.emit('change');
    },
    telemetry: options.telemetry,
  };
  const relay = new Relay(deps);

  /** Resolves once `done()` holds, checking after every send and log entry. */
  const until = (done: () => boolean): Promise<void> =>
    new Promise((resolve) => {
      const check = (): void => {
        if (!done()) return;
        events.off('change', check);
        resolve();
      };
      events.on('change', check);
      check();
    });
  const find = (pattern: RegExp, from: number, where: (entry: LogEntry) => boolean): LogEntry | undefined =>
    logs.slice(from).find((entry) => pattern.test(entry.msg) && where(entry));

  const controller = new AbortController();
  const running = relay.run(controller.signal);
  const harness: RelayHarness = {
    relay,
    checkpointer,
    logs,
    sent,
    async waitForLog(pattern, from = 0, where = () => true) {
      await until(() => find(pattern, from, where) !== undefined);
      return find(pattern, from, where) as LogEntry;
    },
    waitUntilSent: (transactionIds) => until(() => transactionIds.every((id) => sent.has(id))),
    async stop() {
      controller.abort();
      await running;
      await relay.flush();
    },
  };
  return harness;
}
