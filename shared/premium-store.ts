import { odata, type TableClient } from '@azure/data-tables';
import type { FromSchema } from 'json-schema-to-ts';

import { CorruptRowError } from './errors';
import type { PremiumFactors, PremiumQuote } from './leasing/pricing';
import { annualPremiumSchema } from './premium-change';
import {
  compileRowSchema,
  expectRow,
  getRow,
  heightOf,
  int64,
  parseJsonProperty,
  type RowAddress,
  storageStatusOf,
  tableFailure,
} from './table-rows';

/** The premium the insurer computed for one lease transfer: a row of Table `premiums`. */
export interface PremiumRecord {
  /** The car's asset id (its CREATE transaction id): the row's partition key. */
  readonly assetId: string;
  /** The lease TRANSFER's id: the row key. */
  readonly transactionId: string;
  /** Height of the block that committed the lease. */
  readonly height: number;
  /** The leasing company's identifier of the driver (lease metadata `driver.id`). */
  readonly driverId: string;
  readonly driverPublicKey: string;
  readonly annualPremium: PremiumQuote['annualPremium'];
  readonly status: PremiumQuote['status'];
  readonly factors: PremiumFactors;
  /** When the premium was computed, ISO 8601 UTC. */
  readonly computedAt: string;
  /** `relayed_at` of the ledger event that led to it. */
  readonly relayedAt: string;
  /** Whether its `premium-changes` message was sent (see functions/insurer-premium.ts). */
  readonly notified: boolean;
}

/** Table `premiums`: one row per lease transfer, written once. */
export interface PremiumStore {
  /**
   * Inserts the row unless one is stored for this asset and transaction, with `notified: false`. When one is
   * stored, it wins: `inserted` is false and `record` is the stored row (a redelivered event changes nothing).
   *
   * @throws UpstreamError when storage fails; CorruptRowError when the stored row is not a premium record.
   */
  insertPremiumIfAbsent(
    record: Omit<PremiumRecord, 'notified'>,
  ): Promise<{ readonly inserted: boolean; readonly record: PremiumRecord }>;
  /**
   * Records that the row's `premium-changes` message was sent.
   *
   * @throws UpstreamError when storage fails (including when the row is gone).
   */
  markNotified(assetId: string, transactionId: string): Promise<void>;
  /**
   * A car's premiums in height order (then by transaction id); empty when it has none.
   *
   * @throws UpstreamError when storage fails; CorruptRowError for a row that is not a premium record.
   */
  listPremiums(assetId: string): Promise<PremiumRecord[]>;
}

/** The premium store over Table `premiums`. Creates no table: that is deployment's (or a test's) job. */
export function createPremiumStore(table: TableClient): PremiumStore {
  return new TablePremiumStore(table);
}

const hex64 = { type: 'string', pattern: '^[0-9a-f]{64}$' } as const;
const count = { type: ['integer', 'null'], minimum: 0 } as const;

/** {@link PremiumFactors} as stored (JSON text in property `factors`). */
const premiumFactorsSchema = {
  type: 'object',
  required: [
    'carValue',
    'carAgeYears',
    'baseRate',
    'driverFactor',
    'yearsLicensed',
    'atFaultAccidents5y',
    'claims5y',
    'violations5y',
    'mileageFactor',
    'unknownDriverSurcharge',
    'reasons',
  ],
  additionalProperties: false,
  properties: {
    carValue: { type: 'number', minimum: 0 },
    carAgeYears: { type: 'integer', minimum: 0 },
    baseRate: { type: 'number', minimum: 0 },
    driverFactor: { type: 'number', minimum: 0 },
    yearsLicensed: count,
    atFaultAccidents5y: count,
    claims5y: count,
    violations5y: count,
    mileageFactor: { type: 'number', minimum: 0 },
    unknownDriverSurcharge: { type: 'number', minimum: 0 },
    reasons: { type: 'array', items: { type: 'string' } },
  },
} as const;

/** A {@link PremiumRecord} as read back from its entity, before it is trusted. */
const premiumRecordSchema = {
  type: 'object',
  required: [
    'assetId',
    'transactionId',
    'height',
    'driverId',
    'driverPublicKey',
    'annualPremium',
    'status',
    'factors',
    'computedAt',
    'relayedAt',
    'notified',
  ],
  additionalProperties: false,
  properties: {
    assetId: hex64,
    transactionId: hex64,
    height: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER },
    driverId: { type: 'string', minLength: 1 },
    driverPublicKey: { type: 'string', minLength: 1 },
    annualPremium: annualPremiumSchema,
    status: { type: 'string', enum: ['quoted', 'referred'] },
    factors: premiumFactorsSchema,
    computedAt: { type: 'string', minLength: 1 },
    relayedAt: { type: 'string', minLength: 1 },
    notified: { type: 'boolean' },
  },
} as const;

const isPremiumRecord = compileRowSchema<FromSchema<typeof premiumRecordSchema>>(premiumRecordSchema);

class TablePremiumStore implements PremiumStore {
  constructor(private readonly table: TableClient) {}

  async insertPremiumIfAbsent(
    premium: Omit<PremiumRecord, 'notified'>,
  ): Promise<{ inserted: boolean; record: PremiumRecord }> {
    const record: PremiumRecord = { ...premium, notified: false };
    const address = addressOf(record.assetId, record.transactionId);
    try {
      await this.table.createEntity(toEntity(record));
      return { inserted: true, record };
    } catch (error: unknown) {
      if (storageStatusOf(error) !== 409) throw tableFailure(this.table, 'create', address, error);
    }
    const row = await getRow(this.table, address);
    if (row === undefined) {
      // Rows are never deleted by the app; one that vanished between the 409 and the read was deleted by hand.
      throw tableFailure(this.table, 'read', address, new Error('the row that refused the insert is gone'));
    }
    return { inserted: false, record: this.fromEntity(address, row) };
  }

  async markNotified(assetId: string, transactionId: string): Promise<void> {
    const address = addressOf(assetId, transactionId);
    try {
      await this.table.updateEntity({ ...address, notified: true }, 'Merge');
    } catch (error: unknown) {
      throw tableFailure(this.table, 'mark notified', address, error);
    }
  }

  async listPremiums(assetId: string): Promise<PremiumRecord[]> {
    const records: PremiumRecord[] = [];
    try {
      const rows = this.table.listEntities({ queryOptions: { filter: odata`PartitionKey eq ${assetId}` } });
      for await (const row of rows) records.push(this.fromEntity(addressOf(assetId, String(row.rowKey)), row));
    } catch (error: unknown) {
      if (error instanceof CorruptRowError) throw error;
      throw tableFailure(this.table, 'list', { partitionKey: assetId, rowKey: '*' }, error);
    }
    return records.sort((a, b) => a.height - b.height || compareText(a.transactionId, b.transactionId));
  }

  private fromEntity(address: RowAddress, row: Record<string, unknown>): PremiumRecord {
    const candidate = {
      assetId: row['partitionKey'],
      transactionId: row['rowKey'],
      height: heightOf(row['height']),
      driverId: row['driverId'],
      driverPublicKey: row['driverPublicKey'],
      annualPremium: { amount: row['annualPremiumAmount'], currency: row['annualPremiumCurrency'] },
      status: row['status'],
      factors: parseJsonProperty(this.table, address, 'factors', row['factors']),
      computedAt: row['computedAt'],
      relayedAt: row['relayedAt'],
      notified: row['notified'],
    };
    return expectRow(isPremiumRecord, this.table, address, candidate);
  }
}

function toEntity(record: PremiumRecord): Record<string, unknown> & RowAddress {
  return {
    ...addressOf(record.assetId, record.transactionId),
    height: int64(record.height),
    driverId: record.driverId,
    driverPublicKey: record.driverPublicKey,
    // Typed, so that a whole amount is not stored as Int32 in one row and Double in the next.
    annualPremiumAmount: { value: record.annualPremium.amount, type: 'Double' },
    annualPremiumCurrency: record.annualPremium.currency,
    status: record.status,
    factors: JSON.stringify(record.factors),
    computedAt: record.computedAt,
    relayedAt: record.relayedAt,
    notified: record.notified,
  };
}

function addressOf(assetId: string, transactionId: string): RowAddress {
  return { partitionKey: assetId, rowKey: transactionId };
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
