import type { TableClient } from '@azure/data-tables';

import { type DriverHistory, driverHistorySchema } from './leasing/driver-history';
import { compileLeasingSchema } from './leasing/leasing-validator';
import {
  compileRowSchema,
  expectRow,
  getRow,
  parseJsonProperty,
  type RowAddress,
  storageStatusOf,
  tableFailure,
} from './table-rows';

/** The row key of a driver's history in Table `drivers` (its partition key is the driver's public key). */
export const DRIVER_HISTORY_ROW = 'history';

/** The insurer's record of one driver. */
export interface DriverRecord {
  /** The driver's base58 Ed25519 public key, the lessee in lease transfers. */
  readonly publicKey: string;
  readonly history: DriverHistory;
  /** When the history was last written, ISO 8601 UTC. */
  readonly updatedAt: string;
}

/** What {@link DriverStore.putDriver} did. */
export interface DriverPut {
  /** Whether the driver had no record before. */
  readonly created: boolean;
  /** The record as stored. */
  readonly record: DriverRecord;
}

/** Table `drivers`: one row per driver public key, the history as JSON in one property. */
export interface DriverStore {
  /**
   * The driver's record, or `undefined` when the insurer has none.
   *
   * @throws UpstreamError when storage fails; CorruptRowError when the stored row is not a driver record.
   */
  getDriver(publicKey: string): Promise<DriverRecord | undefined>;
  /**
   * Stores the driver's history, replacing any earlier one. `created` says whether there was none.
   *
   * @throws UpstreamError when storage fails.
   */
  putDriver(publicKey: string, history: DriverHistory, updatedAt: Date): Promise<DriverPut>;
}

/** The driver store over Table `drivers`. Creates no table: that is deployment's (or a test's) job. */
export function createDriverStore(table: TableClient): DriverStore {
  return new TableDriverStore(table);
}

interface DriverEntity {
  readonly partitionKey: string;
  readonly rowKey: string;
  /** {@link DriverHistory} as JSON text. */
  readonly history: string;
  readonly updatedAt: string;
}

const isDriverHistory = compileLeasingSchema<DriverHistory>(driverHistorySchema);
const isUpdatedAt = compileRowSchema<string>({ type: 'string', minLength: 1 });

class TableDriverStore implements DriverStore {
  constructor(private readonly table: TableClient) {}

  async getDriver(publicKey: string): Promise<DriverRecord | undefined> {
    const address = { partitionKey: publicKey, rowKey: DRIVER_HISTORY_ROW };
    const row = await getRow(this.table, address);
    if (row === undefined) return undefined;
    const history = expectRow(
      isDriverHistory,
      this.table,
      address,
      parseJsonProperty(this.table, address, 'history', row['history']),
    );
    const updatedAt = expectRow(isUpdatedAt, this.table, address, row['updatedAt']);
    return { publicKey, history, updatedAt };
  }

  async putDriver(publicKey: string, history: DriverHistory, updatedAt: Date): Promise<DriverPut> {
    const address: RowAddress = { partitionKey: publicKey, rowKey: DRIVER_HISTORY_ROW };
    const record: DriverRecord = { publicKey, history, updatedAt: updatedAt.toISOString() };
    const entity: DriverEntity = { ...address, history: JSON.stringify(history), updatedAt: record.updatedAt };
    // Create first so that the answer can say whether the driver is new; a driver row is never deleted by the
    // app, so after a 409 an unconditional replace is the whole story.
    try {
      await this.table.createEntity(entity);
      return { created: true, record };
    } catch (error: unknown) {
      if (storageStatusOf(error) !== 409) throw tableFailure(this.table, 'create', address, error);
    }
    try {
      await this.table.updateEntity(entity, 'Replace');
      return { created: false, record };
    } catch (error: unknown) {
      throw tableFailure(this.table, 'replace', address, error);
    }
  }
}
