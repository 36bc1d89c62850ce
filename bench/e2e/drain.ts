import { setTimeout as delay } from 'node:timers/promises';

import type { QueueClient, QueueServiceClient } from '@azure/storage-queue';

import type { SignedTransaction } from '../../shared/leasing/car-transactions';
import { encodeLedgerEvent } from '../../shared/ledger-event';
import type { E2eStack } from '../../test/helpers/e2e-stack';
import { commitAll } from '../../test/helpers/lease-load';
import { round } from './offered-load';

// The drain phases: how fast the whole insurer pipeline works off a backlog of lease events, and how fast Azurite
// alone can receive and delete the same number of messages with the host's concurrency.

/** What the sustained-processing phase measured. */
export interface SustainedResult {
  readonly leases: number;
  /** `ledger-events` depth when the host started. */
  readonly queueDepthAtStart: number;
  readonly seconds: number;
  readonly premiumsPerSecond: number;
}

/**
 * With the host stopped, commits `leases` and waits until the relay has put every one on `ledger-events`; then
 * starts the host and times it from start to the last premium's announcement.
 */
export async function runSustained(stack: E2eStack, leases: readonly SignedTransaction[]): Promise<SustainedResult> {
  await stack.stopHost();
  await commitAll(stack.node.apiUrl, leases);
  const depth = await waitForDepth(stack.services.ledgerEvents, leases.length);
  const started = performance.now();
  await stack.startHost();
  await stack.waitForAnnounced(leases.map(({ id }) => id));
  const seconds = (performance.now() - started) / 1000;
  await stack.waitForEmptyLedgerEvents();
  return {
    leases: leases.length,
    queueDepthAtStart: depth,
    seconds: round(seconds),
    premiumsPerSecond: round(leases.length / seconds),
  };
}

/** What the raw drain measured. */
export interface RawDrainResult {
  readonly messages: number;
  readonly seconds: number;
  readonly perSecond: number;
}

/** The host's defaults (host.json): receive 16 at a time, receive again once at most 8 are in flight. */
const BATCH_SIZE = 16;
const NEW_BATCH_THRESHOLD = 8;

/**
 * Azurite's own ceiling at the host's concurrency: fills a fresh queue with `count` ledger-event-sized messages,
 * then drains it the way the host's listener does with a function that does nothing: receive 16, delete each,
 * receive again as soon as at most 8 deletes are in flight.
 */
export async function rawDrain(service: QueueServiceClient, count: number): Promise<RawDrainResult> {
  const queue = service.getQueueClient('raw-drain-bench');
  await queue.createIfNotExists();
  await queue.clearMessages();
  await fill(queue, count);
  const started = performance.now();
  let inFlight = 0;
  let deleted = 0;
  let settled: (() => void) | undefined;
  const deletion = (messageId: string, popReceipt: string): void => {
    inFlight++;
    void queue.deleteMessage(messageId, popReceipt).then(() => {
      inFlight--;
      deleted++;
      settled?.();
    });
  };
  while (deleted < count) {
    while (inFlight > NEW_BATCH_THRESHOLD) await new Promise<void>((resolve) => (settled = resolve));
    const { receivedMessageItems: items } = await queue.receiveMessages({
      numberOfMessages: BATCH_SIZE,
      visibilityTimeout: 600,
    });
    for (const { messageId, popReceipt } of items) deletion(messageId, popReceipt);
    if (items.length === 0 && inFlight > 0) await new Promise<void>((resolve) => (settled = resolve));
    else if (items.length === 0) break;
  }
  const seconds = (performance.now() - started) / 1000;
  await queue.delete();
  return { messages: deleted, seconds: round(seconds), perSecond: round(deleted / seconds) };
}

async function fill(queue: QueueClient, count: number): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      while (next < count) {
        const serial = next++;
        const id = serial.toString(16).padStart(64, '0');
        const text = encodeLedgerEvent({
          transaction_id: id,
          asset_id: id,
          height: serial,
          source: 'stream',
          relayed_at: new Date().toISOString(),
        });
        await queue.sendMessage(text);
      }
    }),
  );
}

/**
 * Resolves with the queue's depth once it holds at least `count` messages. The relay is another process and
 * sends no event this one could await, so it asks again 100 ms after each answer.
 */
async function waitForDepth(queue: QueueClient, count: number): Promise<number> {
  for (;;) {
    const depth = (await queue.getProperties()).approximateMessagesCount ?? 0;
    if (depth >= count) return depth;
    await delay(100);
  }
}
