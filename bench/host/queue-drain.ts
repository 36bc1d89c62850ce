import { type QueueClient, QueueServiceClient } from '@azure/storage-queue';

import { type LocalStorage, startLocalStorage } from '../../dev/azurite/local-storage';
import { startHost } from '../../dev/functions-host/host';
import type { HostLogEntry } from '../../dev/functions-host/host-log';
import { round } from './http-load';

/** A fresh in-memory Azurite with one queue holding `messages` base64 messages. */
export interface FilledQueue {
  readonly storage: LocalStorage;
  readonly queue: QueueClient;
  readonly fillPerSecond: number;
}

/** What one drain measured: from a queue of `messages` to an empty one. */
export interface DrainResult {
  readonly perSecond: number;
  readonly seconds: number;
  /** CPU time of this whole process (Azurite, client or host) during the drain, in seconds. */
  readonly cpuSeconds: number;
  /** `approximateMessagesCount` afterwards (invisible messages count too): 0 when every message was deleted. */
  readonly remaining: number;
}

const FILL_CONCURRENCY = 32;

/**
 * Starts a fresh Azurite (a long-lived one gives erratic figures: toolchain.md §2 "Throughput") and fills
 * `queueName` with `messages` messages of about 80 bytes, base64 as the host's default `messageEncoding` expects.
 */
export async function fillFreshQueue(queueName: string, messages: number): Promise<FilledQueue> {
  const storage = await startLocalStorage();
  const queue = QueueServiceClient.fromConnectionString(storage.connectionString).getQueueClient(queueName);
  await queue.create();
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: FILL_CONCURRENCY }, async () => {
      while (next < messages) {
        const seq = next++;
        const body = JSON.stringify({ seq, vin: `WVWZZZ1KZAW${String(seq).padStart(6, '0')}`, event: 'lease.created' });
        await queue.sendMessage(Buffer.from(body).toString('base64'));
      }
    }),
  );
  return { storage, queue, fillPerSecond: Math.round(messages / ((performance.now() - started) / 1000)) };
}

/**
 * Azurite's ceiling: one client receiving 32 at a time (the REST maximum) and deleting each batch with
 * concurrent calls, as fast as it can, until `messages` are gone.
 */
export async function drainRaw({ queue }: FilledQueue, messages: number): Promise<DrainResult> {
  const measure = startMeasure();
  let drained = 0;
  while (drained < messages) {
    const { receivedMessageItems: items } = await queue.receiveMessages({ numberOfMessages: 32 });
    if (items.length === 0) break; // nothing visible: the queue holds fewer than `messages`
    await Promise.all(items.map((item) => queue.deleteMessage(item.messageId, item.popReceipt)));
    drained += items.length;
  }
  return measure.end(drained, queue);
}

/**
 * The host's drain: starts the host on `appRoot` against the filled queue, awaits `messages` successful
 * executions of `functionName` (from the host's log), then closes the host, which waits for the deletes of
 * the last messages still in flight. The time runs from `startHost` to the end of `close`.
 *
 * @throws Error (rejects) when an invocation fails or the host logs an error: the figure would be meaningless.
 */
export async function drainThroughHost(
  filled: FilledQueue,
  messages: number,
  appRoot: string,
  functionName: string,
): Promise<DrainResult & { toLastInvocationSeconds: number }> {
  const executed = `Executed 'Functions.${functionName}' (Succeeded`;
  let count = 0;
  let settle: { resolve: () => void; reject: (error: Error) => void } | undefined;
  const allExecuted = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
  const log = (entry: HostLogEntry): void => {
    if (entry.level === 'error') settle?.reject(new Error(`host logged an error: ${entry.msg}`));
    else if (entry.msg.startsWith(executed) && ++count === messages) settle?.resolve();
  };
  const measure = startMeasure();
  const host = await startHost({
    appRoot,
    port: 0,
    settings: { AzureWebJobsStorage: filled.storage.connectionString },
    log,
  });
  let toLastInvocationSeconds = 0;
  try {
    await allExecuted;
    toLastInvocationSeconds = round((performance.now() - measure.started) / 1000);
  } finally {
    await host.close();
  }
  return { ...(await measure.end(count, filled.queue)), toLastInvocationSeconds };
}

function startMeasure(): { started: number; end: (drained: number, queue: QueueClient) => Promise<DrainResult> } {
  const cpu = process.cpuUsage();
  const started = performance.now();
  return {
    started,
    async end(drained, queue) {
      const seconds = (performance.now() - started) / 1000;
      const used = process.cpuUsage(cpu);
      const { approximateMessagesCount = -1 } = await queue.getProperties();
      return {
        perSecond: Math.round(drained / seconds),
        seconds: round(seconds),
        cpuSeconds: round((used.user + used.system) / 1e6),
        remaining: approximateMessagesCount,
      };
    },
  };
}
