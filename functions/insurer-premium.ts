import { performance } from 'node:perf_hooks';

import type { InvocationContext, StorageQueueFunctionOptions, StorageQueueHandler } from '@azure/functions';

import { createDriverStore, type DriverStore } from '../shared/driver-store';
import { ensureError, UpstreamError, ValidationError } from '../shared/errors';
import { type CarTransfer, classifyCarTransfer, readCompanyCarRegistration } from '../shared/leasing/car-transfer';
import { quotePremium } from '../shared/leasing/pricing';
import { type CarAsset, readCarAsset } from '../shared/leasing/schemas';
import { type LedgerEvent, parseLedgerEvent } from '../shared/ledger-event';
import { createPolicyStore, type Policy, type PolicyStore } from '../shared/policy-store';
import { encodePremiumChange, premiumChangeOf } from '../shared/premium-change';
import { createPremiumStore, type PremiumRecord, type PremiumStore } from '../shared/premium-store';
import { allSettledOrThrow, settledValue } from '../shared/settled';
import { LEDGER_EVENTS_QUEUE } from '../shared/storage-names';
import { storageStatusOf } from '../shared/table-rows';
import type { Services } from './services';

/** Registration of `insurerPremium`: every message of `ledger-events`. */
export const insurerPremiumOptions = {
  queueName: LEDGER_EVENTS_QUEUE,
  connection: 'AzureWebJobsStorage',
} as const satisfies Omit<StorageQueueFunctionOptions, 'handler'>;

/** What {@link insurerPremium} uses. */
export type InsurerPremiumServices = Pick<
  Services,
  'bigchainDb' | 'leasingCompany' | 'drivers' | 'premiums' | 'policies' | 'premiumChanges' | 'telemetry' | 'now'
>;

/*
 * Crash consistency. A message may be delivered more than once, by two instances at once, and the function may
 * stop between any two steps; the host then redelivers it. Each step is safe to redo:
 *
 * 1. The premium row is inserted if absent (key: asset id, transaction id), so it is written once: a redelivery
 *    finds the stored row and uses it, even if the driver's history changed in between. Exactly once in effect.
 * 2. The premium-changes message is sent while the stored row says `notified: false`, and only then is the row
 *    marked. A stop between insert and send leaves `false`, so the redelivery sends it; a stop between send and
 *    mark sends it again. Marking first would lose the message on a stop in between; this order duplicates it
 *    instead. So premium-changes is at least once, and its consumers dedupe by `transactionId`. Two deliveries
 *    of one event at the same moment would both find `false`: the one that did not insert the row waits for a
 *    retry if it is a first delivery (`deferToConcurrentDelivery`), so that only a stop duplicates the message.
 * 3. The policy is written only when this transfer is newer than the stored one (by height, ETag-guarded), so
 *    replays and any order of events converge on the latest transfer's policy.
 *
 * Every failure that may pass (storage, BigchainDB, a transaction the node does not have yet) throws, so the host
 * retries; after `maxDequeueCount` tries the message goes to `ledger-events-poison`. The function returns normally
 * only when the event is done or is known to need nothing (a CREATE, not a car, not a lease or return).
 */

/**
 * The insurer's reaction to a committed transaction: for a lease of one of the company's cars, price the driver,
 * store the premium, announce it on `premium-changes` and update the car's policy; for a return, park the policy.
 *
 * The premium is priced as of the lease's start date (car age, years licensed and the five-year record window
 * all count from the day cover starts), so a redelivery or a late replay prices the same day. An unknown driver
 * is priced with the model's surcharge and the policy is `referred`.
 *
 * @throws ValidationError for a message that is not a ledger event (logged with its reason; poison after retries).
 * @throws UpstreamError when BigchainDB or storage fails, or BigchainDB does not have the transaction yet.
 */
export function insurerPremium(services: InsurerPremiumServices): StorageQueueHandler {
  const stores: Stores = {
    drivers: createDriverStore(services.drivers),
    premiums: createPremiumStore(services.premiums),
    policies: createPolicyStore(services.policies),
  };
  return async function insurerPremium(message: unknown, context: InvocationContext): Promise<void> {
    const started = performance.now();
    let outcome = 'failed';
    try {
      const event = readEvent(message, context);
      outcome = await processEvent({ services, stores, event, context });
    } finally {
      services.telemetry.trackMetric('PremiumProcessingMs', performance.now() - started, { outcome });
    }
  };
}

interface Stores {
  readonly drivers: DriverStore;
  readonly premiums: PremiumStore;
  readonly policies: PolicyStore;
}

/** One invocation's event and everything its steps use. */
interface Invocation {
  readonly services: InsurerPremiumServices;
  readonly stores: Stores;
  readonly event: LedgerEvent;
  readonly context: InvocationContext;
}

type Lease = Extract<CarTransfer, { kind: 'lease' }>;
type Return = Extract<CarTransfer, { kind: 'return' }>;

const MALFORMED = 'malformed ledger event, failing it towards the poison queue';

function readEvent(message: unknown, context: InvocationContext): LedgerEvent {
  try {
    return parseLedgerEvent(message);
  } catch (error: unknown) {
    context.error(`${MALFORMED}: ${ensureError(error).message}`);
    throw error;
  }
}

/** Does the work of one event; resolves with what it was, for the processing-time metric. */
async function processEvent(invocation: Invocation): Promise<string> {
  const { services, event, context } = invocation;
  const [transactionRead, assetRead] = await readTransactionAndAsset(invocation);
  const transaction = settledValue(transactionRead);
  if (transaction.operation === 'CREATE') {
    context.log(`transaction ${event.transaction_id} is a CREATE: nothing to price until the asset is leased`);
    return 'create';
  }
  if (transaction.assetId !== event.asset_id) {
    const error = new ValidationError({
      message: `ledger event /asset_id ${event.asset_id} is not the asset ${transaction.assetId} of transaction ${event.transaction_id}`,
      field: '/asset_id',
      rule: 'asset-of-transaction',
    });
    context.error(`${MALFORMED}: ${error.message}`);
    throw error;
  }
  const car = companyCarOf(invocation, settledValue(assetRead));
  if (car === undefined) return 'not-a-car';
  const transfer = classifyCarTransfer(transaction.raw, services.leasingCompany.publicKey);
  switch (transfer.kind) {
    case 'lease':
      await priceLease(invocation, car, transfer);
      return 'lease';
    case 'return':
      await parkPolicy(invocation, transfer);
      return 'return';
    default:
      context.log(
        `transfer ${event.transaction_id} of car ${event.asset_id} is neither a lease nor a return: ${transfer.reason}`,
      );
      return 'other-transfer';
  }
}

/**
 * Reads the event's transaction and, at the same time, the CREATE of its asset, which a transfer needs next: one
 * BigchainDB round trip on a lease's path instead of two. Both are settled before the caller goes on, so no read
 * outlives the invocation; the caller takes the transaction's failure first, then checks it, and only then takes
 * the CREATE's, the order of reading them one after the other.
 */
function readTransactionAndAsset(
  invocation: Invocation,
): Promise<[PromiseSettledResult<CommittedTransaction>, PromiseSettledResult<CommittedTransaction>]> {
  const { event } = invocation;
  const transaction = fetchCommitted(invocation, event.transaction_id, 'transaction');
  // A CREATE's asset is the CREATE itself.
  const asset =
    event.asset_id === event.transaction_id ? transaction : fetchCommitted(invocation, event.asset_id, 'asset CREATE');
  return Promise.allSettled([transaction, asset]);
}

async function priceLease(invocation: Invocation, car: CarAsset, lease: Lease): Promise<void> {
  const { services, stores, event, context } = invocation;
  const { driver, lease: terms } = lease.metadata;
  const known = await stores.drivers.getDriver(lease.lessee);
  if (known === undefined)
    context.warn(`driver ${driver.id} (${lease.lessee}) is unknown to the insurer: the premium is referred`);
  const asOf = new Date(`${terms.startDate}T00:00:00Z`);
  const quote = quotePremium({ car, yearlyMileageKm: terms.yearlyMileageKm, driver: known?.history, asOf });
  const { inserted, record } = await stores.premiums.insertPremiumIfAbsent({
    assetId: event.asset_id,
    transactionId: event.transaction_id,
    height: event.height,
    driverId: driver.id,
    driverPublicKey: lease.lessee,
    annualPremium: quote.annualPremium,
    status: quote.status,
    factors: quote.factors,
    computedAt: services.now().toISOString(),
    relayedAt: event.relayed_at,
  });
  if (inserted) trackPremiumChanged(services, record);
  else context.log(`premium of lease ${event.transaction_id} was stored before (duplicate delivery): keeping it`);
  // Announcing and updating the policy are independent, each safe to redo: side by side, they take two storage
  // round trips off the lease's path. The policy follows the stored premium, not this computation: on a
  // redelivery they may differ.
  await allSettledOrThrow([
    record.notified ? Promise.resolve() : announceOnce(invocation, record, inserted),
    applyPolicy(invocation, {
      assetId: record.assetId,
      height: record.height,
      transactionId: record.transactionId,
      spentTransactionId: lease.spentTransactionId,
      updatedAt: services.now().toISOString(),
      status: record.status === 'quoted' ? 'active' : 'referred',
      driver: { id: record.driverId, publicKey: record.driverPublicKey },
      annualPremium: record.annualPremium,
    }),
  ]);
}

/** Announces a stored premium not yet announced, unless another delivery of the event is likely doing it now. */
async function announceOnce(invocation: Invocation, record: PremiumRecord, inserted: boolean): Promise<void> {
  if (!inserted && isFirstDelivery(invocation.context)) deferToConcurrentDelivery(invocation);
  await announce(invocation, record);
}

async function parkPolicy(invocation: Invocation, transfer: Return): Promise<void> {
  const { services, event } = invocation;
  await applyPolicy(invocation, {
    assetId: event.asset_id,
    height: event.height,
    transactionId: event.transaction_id,
    spentTransactionId: transfer.spentTransactionId,
    updatedAt: services.now().toISOString(),
    status: 'parked',
    formerDriverPublicKey: transfer.formerLessee,
  });
}

/** Whether the host delivers this message for the first time (false when unknown: called outside a host). */
function isFirstDelivery(context: InvocationContext): boolean {
  // A number in the Node worker; Number() also reads a 64-bit value passed as text.
  return Number(context.triggerMetadata?.['dequeueCount']) === 1;
}

// A first delivery that finds the premium stored but not yet announced is most likely a duplicate of the event
// that another invocation is pricing at this moment (the relay re-sends the blocks above its checkpoint after a
// reconnect, and the host may take the original and the copy in one batch): announcing as well would send the
// premium twice. It fails instead; its retry, a visibility timeout later, finds the row marked and keeps it, or
// announces if the other invocation stopped before marking it. A redelivery of the message that stored the row
// announces at once; a redriven or replayed message whose premium was stored but never announced does so on its
// first retry.
function deferToConcurrentDelivery({ event, context }: Invocation): never {
  const message = `premium of lease ${event.transaction_id} is stored but not yet announced, likely by another delivery of the same event right now`;
  context.warn(`${message}; failing to retry`);
  throw new UpstreamError({ status: 503, service: 'storage', message: `storage: ${message}` });
}

async function announce({ services, stores, context }: Invocation, record: PremiumRecord): Promise<void> {
  const queue = services.premiumChanges;
  try {
    await queue.sendMessage(encodePremiumChange(premiumChangeOf(record)));
  } catch (error: unknown) {
    const cause = ensureError(error);
    const upstreamStatus = storageStatusOf(error);
    const status = upstreamStatus === undefined ? '' : ` (HTTP ${upstreamStatus})`;
    throw new UpstreamError({
      status: 503,
      service: 'storage',
      message: `storage: send to queue ${queue.name} failed${status}: ${cause.message}`,
      ...(upstreamStatus === undefined ? {} : { upstreamStatus }),
      cause,
    });
  }
  await stores.premiums.markNotified(record.assetId, record.transactionId);
  context.log(`premium of lease ${record.transactionId} announced on ${queue.name}`);
}

function trackPremiumChanged(services: InsurerPremiumServices, record: PremiumRecord): void {
  services.telemetry.trackEvent('PremiumChanged', {
    assetId: record.assetId,
    transactionId: record.transactionId,
    status: record.status,
    amount: record.annualPremium.amount,
    currency: record.annualPremium.currency,
  });
}

async function applyPolicy({ stores, context }: Invocation, policy: Policy): Promise<void> {
  const { applied, current } = await stores.policies.applyPolicyIfNewer(policy);
  const car = `policy of car ${policy.assetId}`;
  if (applied)
    context.log(`${car} is ${policy.status} from transaction ${policy.transactionId} (height ${policy.height})`);
  else
    context.log(
      `${car} stays ${current.status}: its transaction ${current.transactionId} (height ${current.height}) is as new or newer`,
    );
}

/** What the function reads of a committed transaction. */
interface CommittedTransaction {
  readonly operation: 'CREATE' | 'TRANSFER';
  /** Its own id for a CREATE, `asset.id` for a TRANSFER. */
  readonly assetId: string;
  /** `asset.data` of a CREATE. */
  readonly assetData: unknown;
  /** The whole transaction JSON. */
  readonly raw: unknown;
}

// Ledger events name committed transactions only, so one the node does not have is one this node has not
// caught up with (or a node behind a load balancer that lags): retry, do not drop.
async function fetchCommitted(
  { services, context }: Invocation,
  id: string,
  what: string,
): Promise<CommittedTransaction> {
  const raw = await services.bigchainDb.getTransaction(id);
  if (raw === undefined) {
    context.warn(`${what} ${id} is not on the BigchainDB node yet; failing to retry`);
    throw new UpstreamError({
      status: 502,
      service: 'bigchaindb',
      message: `bigchaindb: committed ${what} ${id} is not on the node`,
    });
  }
  const transaction = readCommitted(raw);
  if (transaction === undefined) {
    const message = `bigchaindb: ${what} ${id} is neither a CREATE nor a TRANSFER`;
    throw new UpstreamError({ status: 502, service: 'bigchaindb', message });
  }
  return transaction;
}

function readCommitted(raw: unknown): CommittedTransaction | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const { id, operation, asset } = raw as {
    id?: unknown;
    operation?: unknown;
    asset?: { id?: unknown; data?: unknown } | null;
  };
  if (operation === 'CREATE' && typeof id === 'string') return { operation, assetId: id, assetData: asset?.data, raw };
  if (operation === 'TRANSFER' && typeof asset?.id === 'string')
    return { operation, assetId: asset.id, assetData: undefined, raw };
  return undefined;
}

// The asset of a transfer is a car of this product only when its CREATE holds car data and the company issued it.
function companyCarOf(
  { services, event, context }: Invocation,
  registration: CommittedTransaction,
): CarAsset | undefined {
  const car = readCompanyCarRegistration(registration.raw, services.leasingCompany.publicKey);
  if (car !== undefined) return car;
  const reason =
    readCarAsset(registration.assetData) === undefined
      ? "its CREATE's asset data is not a version-1 car"
      : 'the leasing company did not register it';
  context.log(`asset ${event.asset_id} is not one of the leasing company's cars (${reason}): ignored`);
  return undefined;
}
