import { setTimeout as delay } from 'node:timers/promises';

import type { QueueClient, QueueServiceClient } from '@azure/storage-queue';

import { encodeLedgerEvent } from '../../shared/ledger-event';

// Azurite's raw send ceiling, and the queue depth the relay's progress is read from (the relay is
// another process, so its progress is polled). Queues are never cleared or deleted here: Azurite's
// in-memory store then deletes each message's extent with a full re-sort of its extent index, which
// takes hours for 100,000 messages. All queues share one message collection, so a fresh queue per
// raw measurement meets a store of the same size as the relay's queue does.

/** Messages per second of `count` sends of a ledger-event-sized message with `concurrency` in flight, on a new queue `name`. */
export async function rawSendRate(service: QueueServiceClient, name: string, count: number, concurrency: number): Promise<number> {
  const queue = service.getQueueClient(name);
  await queue.create();
  const text = encodeLedgerEvent({ transaction_id: 'a'.repeat(64), asset_id: 'b'.repeat(64), height: 1, source: 'stream', relayed_at: new Date().toISOString() });
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next++ < count) await queue.sendMessage(text);
    }),
  );
  return count / ((performance.now() - started) / 1000);
}

/**
 * The relay queue's depth, read while waiting for a target. Azurite counts a queue's messages by scanning
 * every message of every queue, so reads are spaced by how far the target still is (about a quarter of
 * the expected remaining time, 50 ms to 2 s): the count would otherwise cost this process as much CPU as
 * the sends themselves. `depth` is the latest reading.
 */
export class QueueWatch {
  depth = 0;

  constructor(
    private readonly queue: QueueClient,
    /** Rate used to space the reads, messages per second. */
    private readonly expectedPerSecond = 800,
  ) {}

  /** The depth now. */
  async read(): Promise<number> {
    this.depth = (await this.queue.getProperties()).approximateMessagesCount ?? 0;
    return this.depth;
  }

  /** Seconds until the queue holds at least `depth` messages (to within the last read's spacing, at most 50 ms near the end). */
  async until(depth: number): Promise<number> {
    const started = performance.now();
    while ((await this.read()) < depth) {
      await delay(Math.min(2_000, Math.max(50, ((depth - this.depth) / this.expectedPerSecond) * 250)));
    }
    return (performance.now() - started) / 1000;
  }
}
