import type { TableClient } from '@azure/data-tables';

import { createDriverStore } from '../../shared/driver-store';
import {
  carRegistrationTransaction,
  leaseTransaction,
  type SignedTransaction,
} from '../../shared/leasing/car-transactions';
import type { DriverHistory } from '../../shared/leasing/schemas';
import { generateKeyPair, type KeyPair } from '../../shared/transaction/signing';
import { carAsset, leaseMetadata } from './car-fixtures';
import { randomVin } from './leasing-data';

// Leasing load for the end-to-end tests and the bench: the company's CREATEs and lease TRANSFERs built and signed
// here with the app's own builders (shared/leasing/car-transactions.ts) and posted straight to the node's HTTP API,
// which is much faster than going through the app's HTTP functions one lease at a time. The insurer pipeline only
// sees committed transfers, so it cannot tell the difference.

/** A driver of the load; `history` undefined: the insurer does not know them (the premium is referred). */
export interface LoadDriver {
  readonly keys: KeyPair;
  readonly history: DriverHistory | undefined;
}

/** `count` drivers, every other one known to the insurer, with different records. */
export function loadDrivers(count: number): LoadDriver[] {
  const histories: DriverHistory[] = [
    { licensedSince: '2005-03-01', atFaultAccidents: [], claims: [], violations: [] },
    {
      licensedSince: '2024-02-01',
      atFaultAccidents: [],
      claims: [{ date: '2025-01-10', amountEur: 1800 }],
      violations: [],
    },
    {
      licensedSince: '2016-06-15',
      atFaultAccidents: [{ date: '2024-05-02' }],
      claims: [],
      violations: [{ date: '2025-01-15', kind: 'speeding' }],
    },
  ];
  return Array.from({ length: count }, (_, index) => ({
    keys: generateKeyPair(),
    history: index % 2 === 0 ? histories[(index / 2) % histories.length] : undefined,
  }));
}

/** Writes the known drivers' histories to Table `drivers`, as the insurer's own systems would. */
export async function recordDrivers(table: TableClient, drivers: readonly LoadDriver[]): Promise<void> {
  const store = createDriverStore(table);
  for (const { keys, history } of drivers)
    if (history !== undefined) await store.putDriver(keys.publicKey, history, new Date());
}

/** `count` car registrations (CREATEs) by `company`, each with a fresh VIN. */
export function carRegistrations(company: KeyPair, count: number): SignedTransaction[] {
  return Array.from({ length: count }, () => carRegistrationTransaction(carAsset(randomVin()), company));
}

/** One lease per registered car, to the drivers in turn. */
export function leasesOf(
  cars: readonly SignedTransaction[],
  drivers: readonly LoadDriver[],
  company: KeyPair,
): SignedTransaction[] {
  return cars.map((car, index) => {
    const driver = drivers[index % drivers.length] as LoadDriver;
    const current = {
      transaction: car as SignedTransaction & { operation: string; outputs: unknown[]; asset: unknown },
    };
    return leaseTransaction(current, leaseMetadata(driver.keys, `D-${index % drivers.length}`, '2026-01-01'), company);
  });
}

/** Options of {@link postTransactions}. */
export interface PostOptions {
  /** BigchainDB's mode; default `commit`, so that a resolved post is in a block. */
  readonly mode?: 'async' | 'sync' | 'commit';
  /** Requests in flight at once. Default 32. */
  readonly concurrency?: number;
  /** Called after each 202, with the time the answer arrived (`performance.now()`). */
  readonly onPosted?: (transaction: SignedTransaction, answeredAt: number) => void;
}

/**
 * POSTs every transaction with bounded concurrency, in order of the array (a lease is never posted before its
 * car's CREATE when the CREATEs come first and each was committed).
 *
 * @throws Error on the first answer that is not 202, or the first failed request.
 */
export async function postTransactions(
  apiUrl: string,
  transactions: readonly SignedTransaction[],
  options: PostOptions = {},
): Promise<void> {
  const { mode = 'commit', concurrency = 32, onPosted } = options;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < transactions.length) {
      const transaction = transactions[next++] as SignedTransaction;
      const status = await postTransaction(apiUrl, transaction, mode);
      if (status.status !== 202) throw new Error(`POST of ${transaction.id} answered ${status.status}: ${status.text}`);
      onPosted?.(transaction, performance.now());
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

/** One POST of a transaction; resolves with the status and body text. */
export async function postTransaction(
  apiUrl: string,
  transaction: SignedTransaction,
  mode: string,
): Promise<{ status: number; text: string }> {
  const response = await fetch(`${apiUrl}transactions?mode=${mode}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(transaction),
  });
  return { status: response.status, text: await response.text() };
}

/** Whether the node has the transaction committed (`GET /transactions/{id}` answers 200). */
export async function isCommitted(apiUrl: string, transactionId: string): Promise<boolean> {
  const response = await fetch(`${apiUrl}transactions/${transactionId}`);
  await response.arrayBuffer();
  if (response.status !== 200 && response.status !== 404)
    throw new Error(`GET of transaction ${transactionId} answered ${response.status}`);
  return response.status === 200;
}

/**
 * Like {@link postTransactions} in `commit` mode, for a node that may go away: a request that cannot reach the node
 * (refused, reset: the node is down) waits for `nodeBack()`, then posts the transaction again unless the node has
 * it committed, as a client retrying a failed call would. Resolves once every transaction is committed.
 *
 * @throws Error on an answer that is not 202.
 */
export async function postTransactionsRetrying(
  apiUrl: string,
  transactions: readonly SignedTransaction[],
  options: {
    readonly concurrency: number;
    readonly nodeBack: () => Promise<void>;
    readonly onPosted?: (transaction: SignedTransaction) => void;
  },
): Promise<{ retried: number }> {
  let next = 0;
  let retried = 0;
  const commit = async (transaction: SignedTransaction): Promise<void> => {
    for (let attempt = 0; ; attempt++) {
      try {
        if (attempt > 0 && (await isCommitted(apiUrl, transaction.id))) return;
        const { status, text } = await postTransaction(apiUrl, transaction, 'commit');
        if (status !== 202) throw new Error(`POST of ${transaction.id} answered ${status}: ${text}`);
        return;
      } catch (error: unknown) {
        // fetch rejects with a TypeError ("fetch failed") when the connection is refused or reset; by name, since under
        // jest it comes from another realm than this module's TypeError.
        if ((error as Error | undefined)?.name !== 'TypeError' || attempt > 5) throw error;
        retried++;
        await options.nodeBack();
      }
    }
  };
  const worker = async (): Promise<void> => {
    while (next < transactions.length) {
      const transaction = transactions[next++] as SignedTransaction;
      await commit(transaction);
      options.onPosted?.(transaction);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  return { retried };
}

/**
 * Commits `transactions` (independent of each other) fast: all but the last in `sync` mode with 64 in flight, so
 * that the node packs them into few blocks, then the last in `commit` mode, which returns once its block (the
 * newest) is made, and with it every block before.
 */
export async function commitAll(apiUrl: string, transactions: readonly SignedTransaction[]): Promise<void> {
  await postTransactions(apiUrl, transactions.slice(0, -1), { mode: 'sync', concurrency: 64 });
  await postTransactions(apiUrl, transactions.slice(-1), { mode: 'commit' });
}
