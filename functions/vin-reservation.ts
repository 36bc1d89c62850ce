import type { BigchainDb } from '../shared/bigchaindb';
import { ConflictError, ensureError, TransactionRejectedError } from '../shared/errors';
import type { SignedTransaction } from '../shared/leasing/car-transactions';
import type { VinReservation, VinReservationStore } from '../shared/vin-reservation-store';

// Two registrations of one VIN with different details have different transaction ids, so the node takes both
// and the chain check before them cannot see the other in flight. A reservation row per VIN (Table
// `vinreservations`, inserted only if absent) lets one through; the chain check still answers for cars
// registered before reservations existed or by other tools.

/**
 * How old a reservation whose transaction is not on the chain must be before another registration may take it
 * over, in milliseconds: 10 minutes. Its holder posts right after reserving and waits in commit mode at most
 * `BIGCHAINDB_REQUEST_TIMEOUT_MS` (120 s at most); a real node stops waiting for the block after 10 s but keeps
 * the transaction in its mempool, where it commits within seconds while the network is healthy (spec §3.4, §5).
 * Taking over while the holder's transaction can still commit would let both commit: two assets for one car.
 * Waiting longer only delays registering again, with other details, a car whose registration died; an identical
 * retry carries the same transaction id and passes at once.
 */
export const VIN_RESERVATION_STALE_MS = 10 * 60_000;

/** The node's answers that the posted transaction is already committed (spec §3.3) or pending (spec §3.4). */
const COMMITTED_ALREADY = /^Invalid transaction \(DuplicateTransaction\): /;
const PENDING_ALREADY = /Tx already exists in cache$/;

/** What the reservation steps use of the services. */
export interface ReservationServices {
  readonly bigchainDb: Pick<BigchainDb, 'getTransaction' | 'postTransaction'>;
  readonly reservations: VinReservationStore;
}

/**
 * Reserves the VIN for `reservation.transactionId`. Goes on when the VIN was free, when the stored reservation
 * names the same transaction (the same request retried), or when it names a transaction that is neither on the
 * chain nor younger than {@link VIN_RESERVATION_STALE_MS}, which this one then takes over.
 *
 * @param now - the current time, of `Services.now`.
 * @throws ConflictError `CAR_ALREADY_REGISTERED` when the reserving transaction is on the chain,
 * `CAR_REGISTRATION_IN_PROGRESS` when it may still commit or another request took it over first;
 * UpstreamError when storage or BigchainDB fails; CorruptRowError for a row that is not a reservation.
 */
export async function reserveVin(services: ReservationServices, reservation: VinReservation, now: Date): Promise<void> {
  const held = await services.reservations.reserve(reservation);
  if (held === undefined || held.transactionId === reservation.transactionId) return;
  if ((await services.bigchainDb.getTransaction(held.transactionId)) !== undefined) {
    throw alreadyRegistered(held.vin, held.transactionId);
  }
  // NaN never happens (the store refuses rows without a date), and would count as young.
  if (!(now.getTime() - held.reservedAt.getTime() >= VIN_RESERVATION_STALE_MS)) throw inProgress(held);
  if (!(await services.reservations.takeOver(held, reservation))) throw inProgress(held);
}

/**
 * Posts the reserved registration in commit mode. A node answer that it is committed already counts as success
 * (the same request, retried, committed since its chain check). A definitive refusal frees the VIN; an ambiguous
 * failure (timeout, 5xx) leaves the reservation, since the transaction may still commit, until it goes stale.
 *
 * @param onReleaseFailed - hears of a failure to free the VIN, which the refusal's answer does not wait on.
 * @throws ConflictError `CAR_REGISTRATION_IN_PROGRESS` when the node holds the same transaction pending;
 * TransactionRejectedError when it refused it; UpstreamError when it failed.
 */
export async function commitReservedRegistration(
  services: ReservationServices,
  transaction: SignedTransaction,
  reservation: VinReservation,
  onReleaseFailed: (error: Error) => void,
): Promise<void> {
  try {
    await services.bigchainDb.postTransaction(transaction, 'commit');
  } catch (error: unknown) {
    if (!(error instanceof TransactionRejectedError)) throw error;
    if (COMMITTED_ALREADY.test(error.message)) return;
    if (PENDING_ALREADY.test(error.message)) throw inProgress(reservation);
    // The stale rule would free the VIN too, but only after minutes; a refused transaction can never commit.
    await services.reservations.release(reservation).catch((thrown: unknown) => {
      onReleaseFailed(ensureError(thrown));
    });
    throw error;
  }
}

/** The 409 of a VIN the chain holds, as the chain check before the reservation words it. */
export function alreadyRegistered(vin: string, assetId: string): ConflictError {
  return new ConflictError({
    code: 'CAR_ALREADY_REGISTERED',
    message: `a car with VIN ${vin} is already registered as ${assetId}`,
  });
}

function inProgress({ vin, transactionId }: VinReservation): ConflictError {
  return new ConflictError({
    code: 'CAR_REGISTRATION_IN_PROGRESS',
    message: `a registration of the car with VIN ${vin} is in progress as ${transactionId}; try again later`,
  });
}
