import type { BigchainDb } from '../bigchaindb';
import { NotFoundError } from '../errors';
import type { CarOutput } from './car-transactions';
import { classifyCarTransfer, readCompanyCarRegistration } from './car-transfer';
import type { CarAsset, LeaseMetadata, ReturnMetadata } from './schemas';

/** One transaction in a car's life, as the car's history shows it. */
export type CarHistoryEntry = {
  readonly transactionId: string;
  /** Height of the block that committed it. */
  readonly height: number;
} & (
  | { readonly kind: 'registered' }
  | { readonly kind: 'leased'; readonly driver: LeaseMetadata['driver']; readonly lease: LeaseMetadata['lease'] }
  | { readonly kind: 'returned'; readonly returned: Omit<ReturnMetadata, 'kind'> }
  | { readonly kind: 'other'; readonly reason: string }
);

/** Whether the company can lease the car now. `elsewhere`: a transfer outside the leasing conventions moved it. */
export type CarStatus = 'available' | 'leased' | 'elsewhere';

/** A car as the chain records it. */
export interface CarOnChain {
  readonly assetId: string;
  readonly car: CarAsset;
  readonly status: CarStatus;
  /** The driver holding the car while it is leased. */
  readonly lessee: LeaseMetadata['driver'] | undefined;
  /** Every transaction of the car, registration first, in height order. */
  readonly history: readonly CarHistoryEntry[];
  /** The latest transaction, whose output 0 the next transfer spends. */
  readonly latest: CarOutput;
}

type LedgerTransaction = CarOutput['transaction'] & {
  readonly inputs: readonly { readonly fulfills: { transaction_id: string; output_index: number } | null }[];
};

/**
 * Reads a car's registration and every transfer from BigchainDB and follows the chain of spent outputs from
 * the registration to the latest transfer. A car is a CREATE by the company whose asset data is a car.
 *
 * @throws NotFoundError (resource `car`) when there is no such CREATE or it is not the company's car.
 * @throws UpstreamError when BigchainDB fails.
 */
export async function readCarFromChain(
  bigchainDb: Pick<BigchainDb, 'getTransaction' | 'listTransactions' | 'listBlocks'>,
  assetId: string,
  companyPublicKey: string,
  signal?: AbortSignal,
): Promise<CarOnChain> {
  const registration = (await bigchainDb.getTransaction(assetId, signal)) as LedgerTransaction | undefined;
  const car = registration === undefined ? undefined : readCompanyCarRegistration(registration, companyPublicKey);
  if (!registration || !car) throw new NotFoundError({ resource: 'car', id: assetId });
  const transfers = (await bigchainDb.listTransactions(assetId, 'TRANSFER', signal)) as LedgerTransaction[];
  const chain = followSpends(registration, transfers);
  const heights = await Promise.all(chain.map(async ({ id }) => (await bigchainDb.listBlocks(id, signal))[0] ?? -1));
  const history = chain.map((transaction, index) => historyEntry(transaction, heights[index] ?? -1, companyPublicKey));
  const last = history[history.length - 1];
  const status = carStatus(last);
  return {
    assetId,
    car,
    status,
    lessee: last?.kind === 'leased' ? last.driver : undefined,
    history,
    latest: { transaction: chain[chain.length - 1] ?? registration },
  };
}

/** The car's status after its latest history entry. */
function carStatus(last: CarHistoryEntry | undefined): CarStatus {
  if (last?.kind === 'leased') return 'leased';
  return last?.kind === 'other' ? 'elsewhere' : 'available';
}

// Each transfer spends output 0 of the one before; a car's outputs are never split (amount 1).
function followSpends(registration: LedgerTransaction, transfers: readonly LedgerTransaction[]): LedgerTransaction[] {
  const spender = new Map<string, LedgerTransaction>();
  for (const transfer of transfers) {
    const spent = transfer.inputs[0]?.fulfills;
    if (spent) spender.set(`${spent.transaction_id}/${spent.output_index}`, transfer);
  }
  const chain = [registration];
  for (let next = spender.get(`${registration.id}/0`); next !== undefined; next = spender.get(`${next.id}/0`))
    chain.push(next);
  return chain;
}

function historyEntry(transaction: LedgerTransaction, height: number, companyPublicKey: string): CarHistoryEntry {
  const base = { transactionId: transaction.id, height };
  if (transaction.operation === 'CREATE') return { ...base, kind: 'registered' };
  const transfer = classifyCarTransfer(transaction, companyPublicKey);
  switch (transfer.kind) {
    case 'lease':
      return { ...base, kind: 'leased', driver: transfer.metadata.driver, lease: transfer.metadata.lease };
    case 'return': {
      const { kind: _kind, ...returned } = transfer.metadata;
      return { ...base, kind: 'returned', returned };
    }
    default:
      return { ...base, kind: 'other', reason: transfer.reason };
  }
}
