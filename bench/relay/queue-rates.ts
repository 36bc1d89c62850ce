import { setTimeout as delay } from 'node:timers/promises';

import type { QueueClient, QueueServiceClient } from '@azure/storage-queue';

import { encodeLedgerEvent } from '../../shared/ledger-event';

// Azurite's raw send ceiling, and the queue depth the relay's progress is read from (the relay is
// another process, so its progress is polled). Azurite keeps the messages of every queue in one store
// and sends get slower as it grows (about a third slower at 200,000 messages), so the raw queue is
// emptied after each measurement: the relay's sends that follow meet a store of the same size. This
// needs Azurite's sweep off (run.ts): it would delete the cleared messages' extents with a full scan
// of the store each, taking hours.

/** Messages per second of `count` sends of a ledger-event-sized message with `concurrency` in flight, on a new queue `name`, emptied after. */
export async function rawSendRate(
  service: QueueServiceClient,
  name: string,
  count: number,
  concurrency: number,
): Promise<number> {
  const queue = service.getQueueClient(name);
  await queue.create();
  const text = encodeLedgerEvent({
    transaction_id: 'a'.repeat(64),
    asset_id: 'b'.repeat(64),
    height: 1,
    source: 'stream',
    relayed_at: new Date().toISOString(),
  });
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next++ < count) await queue.sendMessage(text);
    }),
  );
  const rate = count / ((performance.now() - started) / 1000);
  await queue.clearMessages();
  return rate;
}

/**
 * The relay queue's depth, read while waiting for a target. Azurite counts a queue's messages by scanning
 * every message of every queue (tens of milliseconds at 200,000), so reads are spaced by how far the target
 * still is (about a quarter of the expected remaining time, 250 ms to 2 s): the count would otherwise take
 * this process's CPU from the sends being measured. `depth` is the latest reading.
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

  /** Seconds until the queue holds at least `depth` messages (to within the last read's spacing: 250 ms near the end). */
  async until(depth: number): Promise<number> {
    const started = performance.now();
    while ((await this.read()) < depth) {
      await delay(Math.min(2_000, Math.max(250, ((depth - this.depth) / this.expectedPerSecond) * 250)));
    }
    return (performance.now() - started) / 1000;
  }
}
