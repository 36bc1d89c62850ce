import type { QueueClient } from '@azure/storage-queue';

import type { Services } from '../../functions/services';
import { decodePremiumChange } from '../../shared/premium-change';

// What the end-to-end scenarios end with, and the downstream consumer of `premium-changes` that reads it while
// they run. The consumer keeps the queue short: Azurite scans every message of the account on each delete
// (LokiQueueMetadataStore.clearExpiredMessages), so thousands of unread announcements would slow every queue
// operation of the run, the host's included.

/** A consumer of `premium-changes`: receives and deletes every message, counting them by transaction id. */
export interface PremiumChangesConsumer {
  /** Messages received so far, by transaction id. */
  readonly counts: ReadonlyMap<string, number>;
  /** When the first message of each transaction id was received (`performance.now()`). */
  readonly firstSeenAt: ReadonlyMap<string, number>;
  /** Messages received so far. */
  readonly total: number;
  /** Receive now rather than after the idle pause (a premium was just announced). */
  wake(): void;
  /** Receives (alongside the running loop) until a receive comes back empty: every message sent before is counted. */
  drain(): Promise<void>;
  /** Stops, then drains the queue until a receive comes back empty, counting what it finds. */
  stop(): Promise<void>;
}

/** How long the consumer waits after an empty receive unless woken. */
const IDLE_PAUSE_MS = 250;

/**
 * Starts consuming `queue` at once; messages stay invisible for 5 minutes once received, and are then deleted. Give
 * it a client without retries (`retryOptions: { maxTries: 1 }`), so that a storage outage does not stall it.
 */
export function consumePremiumChanges(queue: QueueClient): PremiumChangesConsumer {
  const counts = new Map<string, number>();
  const firstSeenAt = new Map<string, number>();
  let total = 0;
  let stopped = false;
  let wake: (() => void) | undefined;
  let woken = false;
  const receiveBatch = async (): Promise<number> => {
    const { receivedMessageItems: items } = await queue.receiveMessages({
      numberOfMessages: 32,
      visibilityTimeout: 300,
    });
    const at = performance.now();
    for (const { messageText } of items) {
      const { transactionId } = decodePremiumChange(messageText);
      counts.set(transactionId, (counts.get(transactionId) ?? 0) + 1);
      if (!firstSeenAt.has(transactionId)) firstSeenAt.set(transactionId, at);
    }
    total += items.length;
    await Promise.all(items.map(({ messageId, popReceipt }) => queue.deleteMessage(messageId, popReceipt)));
    return items.length;
  };
  const loop = async (): Promise<void> => {
    while (!stopped) {
      woken = false;
      // A failure (the queue deleted, storage restarting) is a downstream consumer's everyday: try again later.
      const received = await receiveBatch().catch(() => 0);
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- `woken` and `stopped` change during the await above; TypeScript keeps the narrowing
      if (received > 0 || woken || stopped) continue;
      // A downstream consumer polls; the announcement log wakes it early, so it costs Azurite little and sees a
      // message within a receive of its send.
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, IDLE_PAUSE_MS);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = undefined;
    }
  };
  const running = loop();
  const consumer: PremiumChangesConsumer = {
    counts,
    firstSeenAt,
    get total() {
      return total;
    },
    wake() {
      woken = true;
      wake?.();
    },
    async drain() {
      while ((await receiveBatch()) > 0) {
        // until a receive finds nothing
      }
    },
    async stop() {
      stopped = true;
      wake?.();
      await running;
      await consumer.drain();
    },
  };
  return consumer;
}

/**
 * What a scenario ends with, against the leases it committed: each list names what is wrong, so that the
 * expected value is {@link exactlyOnce} and a failure shows only the offending ids.
 */
export interface PremiumOutcome {
  /** Rows in Table `premiums`. */
  readonly premiumRows: number;
  /** Leases without a premium row. */
  readonly leasesWithoutRow: string[];
  /** Rows that are not of one of the leases. */
  readonly rowsOfNoLease: string[];
  /** Rows whose `notified` is not true. */
  readonly unnotifiedRows: string[];
  /** Messages received from `premium-changes`. */
  readonly premiumChanges: number;
  /** Leases with no `premium-changes` message. */
  readonly leasesWithoutChange: string[];
  /** Transaction ids with more than one message, and how many. */
  readonly repeatedChanges: [string, number][];
  /** Messages of transaction ids that are not leases. */
  readonly changesOfNoLease: string[];
  /** Messages on `ledger-events-poison`. */
  readonly poisoned: number;
}

/**
 * Reads what a scenario ends with: every premium row, every `premium-changes` message (the queue is drained until
 * a receive finds it empty) and the poison queue's depth, compared with `leaseIds`: every lease the stack's node
 * committed so far.
 */
export async function readPremiumOutcome(
  services: Services,
  consumer: PremiumChangesConsumer,
  leaseIds: readonly string[],
): Promise<PremiumOutcome> {
  const leases = new Set(leaseIds);
  const rows = new Set<string>();
  const unnotifiedRows: string[] = [];
  for await (const row of services.premiums.listEntities<{ notified?: unknown }>({
    queryOptions: { select: ['RowKey', 'notified'] },
  })) {
    rows.add(String(row.rowKey));
    if (row.notified !== true) unnotifiedRows.push(String(row.rowKey));
  }
  await consumer.drain();
  const { counts } = consumer;
  return {
    premiumRows: rows.size,
    leasesWithoutRow: leaseIds.filter((id) => !rows.has(id)),
    rowsOfNoLease: [...rows].filter((id) => !leases.has(id)),
    unnotifiedRows,
    premiumChanges: consumer.total,
    leasesWithoutChange: leaseIds.filter((id) => !counts.has(id)),
    repeatedChanges: [...counts].filter(([, count]) => count > 1),
    changesOfNoLease: [...counts.keys()].filter((id) => !leases.has(id)),
    poisoned: await depth(services.ledgerEventsPoison),
  };
}

/** The outcome every scenario must end with: one row and one message for each of `leaseIds`, nothing else. */
export function exactlyOnce(leaseIds: readonly string[]): PremiumOutcome {
  return {
    premiumRows: leaseIds.length,
    leasesWithoutRow: [],
    rowsOfNoLease: [],
    unnotifiedRows: [],
    premiumChanges: leaseIds.length,
    leasesWithoutChange: [],
    repeatedChanges: [],
    changesOfNoLease: [],
    poisoned: 0,
  };
}

/** Messages on `queue`, visible or not; 0 when it does not exist. */
export async function depth(queue: QueueClient): Promise<number> {
  if (!(await queue.exists())) return 0;
  return (await queue.getProperties()).approximateMessagesCount ?? 0;
}
