// Queue, table and container names both sides and the infrastructure agree on. Function bindings must name
// queues literally, so these are fixed rather than settings.

/** The relay's queue of committed transactions (ARCHITECTURE.md "Contracts"). */
export const LEDGER_EVENTS_QUEUE = 'ledger-events';
/** Where the Functions host moves a `ledger-events` message after its last failed try. */
export const LEDGER_EVENTS_POISON_QUEUE = 'ledger-events-poison';
/** One message per newly stored premium, for the insurer's downstream systems. */
export const PREMIUM_CHANGES_QUEUE = 'premium-changes';

/** The insurer's driver histories, one row per driver public key. */
export const DRIVERS_TABLE = 'drivers';
/** One row per lease transfer: partition = car asset id, row = transaction id. */
export const PREMIUMS_TABLE = 'premiums';
/** A car's current policy: partition = car asset id, row {@link CURRENT_POLICY_ROW}. */
export const POLICIES_TABLE = 'policies';
/** At most one car registration in flight per VIN: partition and row = the VIN (functions/vin-reservation.ts). */
export const VIN_RESERVATIONS_TABLE = 'vinreservations';
