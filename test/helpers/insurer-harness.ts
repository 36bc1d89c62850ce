import { randomUUID } from 'node:crypto';

import { InvocationContext, type LogLevel, type StorageQueueHandler } from '@azure/functions';
import type { QueueClient } from '@azure/storage-queue';

import type { BigchainDb } from '../../shared/bigchaindb';
import type { LedgerEvent } from '../../shared/ledger-event';
import { decodePremiumChange, type PremiumChange } from '../../shared/premium-change';

/** One log call of a handler. */
export interface LogLine {
  readonly level: LogLevel;
  readonly text: string;
}

/**
 * Calls a queue handler in process as the host would: with the message already base64-decoded and parsed, and a
 * fresh invocation context. Resolves with its log lines; rejects with what it threw, the lines on `logs`.
 */
export async function invokeQueueHandler(
  handler: StorageQueueHandler,
  message: unknown,
  logs: LogLine[] = [],
): Promise<LogLine[]> {
  const context = new InvocationContext({
    invocationId: randomUUID(),
    functionName: 'insurerPremium',
    logHandler: (level, ...args) => void logs.push({ level, text: args.map(String).join(' ') }),
  });
  await handler(message, context);
  return logs;
}

/** Commits a signed transaction on the node and returns the ledger event the relay would send for it. */
export async function commitAndDescribe(
  bigchainDb: Pick<BigchainDb, 'postTransaction' | 'listBlocks'>,
  transaction: { readonly id: string; readonly operation?: unknown; readonly asset?: unknown },
): Promise<LedgerEvent> {
  await bigchainDb.postTransaction(transaction, 'commit');
  const [height] = await bigchainDb.listBlocks(transaction.id);
  if (height === undefined) throw new Error(`transaction ${transaction.id} is not in a block after a commit`);
  return ledgerEventOf(transaction, height);
}

/** The ledger event of a transaction committed at `height`. */
export function ledgerEventOf(
  transaction: { readonly id: string; readonly operation?: unknown; readonly asset?: unknown },
  height: number,
): LedgerEvent {
  const assetId = transaction.operation === 'TRANSFER' ? (transaction.asset as { id: string }).id : transaction.id;
  return {
    transaction_id: transaction.id,
    asset_id: assetId,
    height,
    source: 'stream',
    relayed_at: '2025-07-01T07:59:59.000Z',
  };
}

/** Receives, deletes and decodes every message on the queue. */
export async function drainPremiumChanges(queue: QueueClient): Promise<PremiumChange[]> {
  const changes: PremiumChange[] = [];
  for (;;) {
    const { receivedMessageItems } = await queue.receiveMessages({ numberOfMessages: 32, visibilityTimeout: 60 });
    if (receivedMessageItems.length === 0) return changes;
    for (const item of receivedMessageItems) {
      changes.push(decodePremiumChange(item.messageText));
      await queue.deleteMessage(item.messageId, item.popReceipt);
    }
  }
}
