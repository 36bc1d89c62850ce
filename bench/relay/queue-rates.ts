import { setTimeout as delay } from 'node:timers/promises';

import type { QueueClient } from '@azure/storage-queue';

import { encodeLedgerEvent } from '../../shared/ledger-event';

// Azurite's raw send ceiling, and the queue depth the relay's progress is read from (the relay is
// another process, so its progress is polled).

/** Messages per second of `count` sends of a ledger-event-sized message with `concurrency` in flight, on an emptied queue. */
export async function rawSendRate(queue: QueueClient, count: number, concurrency: number): Promise<number> {
  await queue.clearMessages();
  const text = encodeLedgerEvent({ transaction_id: 'a'.repeat(64), asset_id: 'b'.repeat(64), height: 1, source: 'stream', relayed_at: new Date().toISOString() });
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

/** Polls a queue's depth every 100 ms while it runs; `depth` is the latest reading. */
export class QueueWatch {
  depth = 0;
  /** Messages removed by {@link clear} so far: `cleared + depth` counts every message since the start. */
  cleared = 0;
  #stopped = false;
  /** Bumped by {@link clear}, so that a reading taken before it is not stored after it. */
  #generation = 0;
  readonly #running: Promise<void>;

  constructor(private readonly queue: QueueClient) {
    this.#running = this.#poll();
  }

  /** Empties the queue, so that the next phase counts from zero. */
  async clear(): Promise<void> {
    // Bumped on both sides: a reading that overlaps the clear in any way is dropped.
    this.#generation++;
    this.cleared += (await this.queue.getProperties()).approximateMessagesCount ?? 0;
    await this.queue.clearMessages();
    this.#generation++;
    this.depth = 0;
  }

  /** Seconds until the queue holds at least `count` messages. */
  async until(count: number): Promise<number> {
    const started = performance.now();
    while (this.depth < count) await delay(20);
    return (performance.now() - started) / 1000;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#running;
  }

  async #poll(): Promise<void> {
    while (!this.#stopped) {
      const generation = this.#generation;
      const depth = (await this.queue.getProperties()).approximateMessagesCount ?? 0;
      if (generation === this.#generation) this.depth = depth;
      await delay(100);
    }
  }
}
