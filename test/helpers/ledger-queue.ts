import type { QueueClient } from '@azure/storage-queue';

import { decodeLedgerEvent, type LedgerEvent } from '../../shared/ledger-event';
import { postRaw, type SignedTransaction } from './transactions';

/**
 * Receives every message on `queue`, 32 at a time, until a receive comes back empty; decodes each as the
 * Functions queue trigger would (base64, then the ledger event schema). Messages stay invisible for five minutes.
 *
 * @throws ValidationError for a message that is not an encoded ledger event.
 */
export async function drainLedgerEvents(queue: QueueClient): Promise<LedgerEvent[]> {
  const events: LedgerEvent[] = [];
  for (;;) {
    const { receivedMessageItems } = await queue.receiveMessages({ numberOfMessages: 32, visibilityTimeout: 300 });
    if (receivedMessageItems.length === 0) return events;
    events.push(...receivedMessageItems.map(({ messageText }) => decodeLedgerEvent(messageText)));
  }
}

/** How many messages of each transaction id `events` hold. */
export function countById(events: readonly LedgerEvent[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const { transaction_id } of events) counts.set(transaction_id, (counts.get(transaction_id) ?? 0) + 1);
  return counts;
}

/**
 * POSTs every transaction in `mode` with at most `concurrency` requests in flight, failing on the first answer
 * that is not 202.
 */
export async function postConcurrently(
  apiUrl: string,
  transactions: readonly SignedTransaction[],
  mode: string,
  concurrency: number,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < transactions.length) {
      const transaction = transactions[next++] as SignedTransaction;
      const { status, body } = await postRaw(apiUrl, transaction, mode);
      if (status !== 202) throw new Error(`POST of ${transaction.id} answered ${status}: ${JSON.stringify(body)}`);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

/**
 * Resolves once `queue` reports at least `count` messages, asking again as soon as each answer arrives (for a
 * queue filled by another process, which sends no event this process could await).
 *
 * @throws Error when it still has fewer after `maxAttempts` answers.
 */
export async function waitForQueueLength(queue: QueueClient, count: number, maxAttempts = 100_000): Promise<number> {
  let length = 0;
  for (let attempt = 0; attempt < maxAttempts; attempt++) {
    length = (await queue.getProperties()).approximateMessagesCount ?? 0;
    if (length >= count) return length;
  }
  throw new Error(`the queue still had ${length} messages, not ${count}, after ${maxAttempts} looks`);
}
