import type { TableClient } from '@azure/data-tables';
import type { FromSchema } from 'json-schema-to-ts';

import { CorruptRowError, UpstreamError } from './errors';
import { compileRowSchema, expectRow, getRow, type RowAddress, storageStatusOf, tableFailure } from './table-rows';

/** How many times {@link VinReservationStore.reserve} inserts again after the row it lost to was released. */
export const MAX_RESERVE_ATTEMPTS = 3;

/** A claim on a VIN by the car registration that is about to commit `transactionId`. */
export interface VinReservation {
  /** The car's VIN: partition and row key. */
  readonly vin: string;
  /** The registration's CREATE transaction id, i.e. the car's asset id once committed. */
  readonly transactionId: string;
  /** When the VIN was reserved, by the reserving instance's clock. */
  readonly reservedAt: Date;
}

/** A reservation as stored, with the ETag that guards replacing or deleting it. */
export interface StoredVinReservation extends VinReservation {
  readonly etag: string;
}

/**
 * Table `vinreservations`: at most one car registration in flight per VIN. A row outlives the commit of its
 * transaction (the chain then answers for the VIN); one is deleted only when the node refused its transaction.
 */
export interface VinReservationStore {
  /**
   * Inserts the reservation unless the VIN is reserved. Resolves `undefined` when it was inserted, or with the
   * reservation that holds the VIN (which may name the same transaction, for a retried request).
   *
   * @throws UpstreamError when storage fails; CorruptRowError when the stored row is not a reservation.
   */
  reserve(reservation: VinReservation): Promise<StoredVinReservation | undefined>;
  /**
   * Replaces `held` with `reservation`, only if the row is still the version read (its ETag).
   *
   * @returns false when another writer changed or deleted the row first.
   * @throws UpstreamError when storage fails.
   */
  takeOver(held: StoredVinReservation, reservation: VinReservation): Promise<boolean>;
  /**
   * Deletes the VIN's reservation if it still names `reservation.transactionId`, guarded by the ETag read; does
   * nothing when the row is gone or names another transaction.
   *
   * @throws UpstreamError when storage fails; CorruptRowError when the stored row is not a reservation.
   */
  release(reservation: VinReservation): Promise<void>;
}

/** The reservation store over Table `vinreservations`. Creates no table: that is deployment's (or a test's) job. */
export function createVinReservationStore(table: TableClient): VinReservationStore {
  return new TableVinReservationStore(table);
}

const reservationRowSchema = {
  type: 'object',
  required: ['vin', 'transactionId', 'reservedAt'],
  additionalProperties: false,
  properties: {
    vin: { type: 'string', minLength: 1 },
    transactionId: { type: 'string', pattern: '^[0-9a-f]{64}$' },
    // ISO 8601 UTC as Date#toISOString writes it, so that Date.parse reads it the same everywhere.
    reservedAt: { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z$' },
  },
} as const;

const isReservationRow = compileRowSchema<FromSchema<typeof reservationRowSchema>>(reservationRowSchema);

class TableVinReservationStore implements VinReservationStore {
  constructor(private readonly table: TableClient) {}

  async reserve(reservation: VinReservation): Promise<StoredVinReservation | undefined> {
    const address = addressOf(reservation.vin);
    for (let attempt = 1; attempt <= MAX_RESERVE_ATTEMPTS; attempt++) {
      try {
        await this.table.createEntity(toEntity(reservation));
        return undefined;
      } catch (error: unknown) {
        if (storageStatusOf(error) !== 409) throw tableFailure(this.table, 'create', address, error);
      }
      // Gone between the 409 and the read: its registration was refused and released it, so insert again.
      const held = await this.read(reservation.vin);
      if (held !== undefined) return held;
    }
    const where = `${this.table.tableName}/${address.partitionKey}/${address.rowKey}`;
    const message = `storage: create ${where} lost to other writers ${MAX_RESERVE_ATTEMPTS} times`;
    throw new UpstreamError({ status: 503, service: 'storage', message });
  }

  async takeOver(held: StoredVinReservation, reservation: VinReservation): Promise<boolean> {
    try {
      await this.table.updateEntity(toEntity(reservation), 'Replace', { etag: held.etag });
      return true;
    } catch (error: unknown) {
      const status = storageStatusOf(error);
      if (status === 412 || status === 404) return false;
      throw tableFailure(this.table, 'replace', addressOf(reservation.vin), error);
    }
  }

  async release(reservation: VinReservation): Promise<void> {
    const stored = await this.read(reservation.vin);
    if (stored === undefined || stored.transactionId !== reservation.transactionId) return;
    const address = addressOf(reservation.vin);
    try {
      await this.table.deleteEntity(address.partitionKey, address.rowKey, { etag: stored.etag });
    } catch (error: unknown) {
      const status = storageStatusOf(error);
      if (status !== 412 && status !== 404) throw tableFailure(this.table, 'delete', address, error);
    }
  }

  private async read(vin: string): Promise<StoredVinReservation | undefined> {
    const address = addressOf(vin);
    const row = await getRow(this.table, address);
    if (row === undefined) return undefined;
    const candidate = { vin: row['partitionKey'], transactionId: row['transactionId'], reservedAt: row['reservedAt'] };
    const stored = expectRow(isReservationRow, this.table, address, candidate);
    const reservedAt = new Date(stored.reservedAt);
    if (Number.isNaN(reservedAt.getTime())) {
      throw new CorruptRowError({ table: this.table.tableName, ...address, reason: '/reservedAt is not a date' });
    }
    return { ...stored, reservedAt, etag: row.etag };
  }
}

function toEntity(reservation: VinReservation): Record<string, unknown> & RowAddress {
  return {
    ...addressOf(reservation.vin),
    transactionId: reservation.transactionId,
    reservedAt: reservation.reservedAt.toISOString(),
  };
}

// One partition per VIN: reservations never share a partition's throughput, and each is a point read.
function addressOf(vin: string): RowAddress {
  return { partitionKey: vin, rowKey: vin };
}
