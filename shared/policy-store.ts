import type { TableClient } from '@azure/data-tables';
import type { FromSchema } from 'json-schema-to-ts';

import { UpstreamError } from './errors';
import type { PremiumQuote } from './leasing/pricing';
import {
  compileRowSchema,
  expectRow,
  getRow,
  heightOf,
  int64,
  type RowAddress,
  storageStatusOf,
  tableFailure,
} from './table-rows';

/** The row key of a car's current policy in Table `policies` (its partition key is the car's asset id). */
export const CURRENT_POLICY_ROW = 'current';

/** How many times {@link PolicyStore.applyPolicyIfNewer} reads and writes again after losing to another writer. */
export const MAX_POLICY_WRITE_ATTEMPTS = 5;

interface PolicyState {
  /** The car's asset id: the row's partition key. */
  readonly assetId: string;
  /** Height of the block that committed `transactionId`; a later height wins. */
  readonly height: number;
  /** The lease or return transfer the policy follows from. */
  readonly transactionId: string;
  /**
   * The transaction whose output that transfer spent. It orders two transfers of one car committed in the
   * same block: the one spending the other is the later.
   */
  readonly spentTransactionId: string;
  /** When the row was written, ISO 8601 UTC. */
  readonly updatedAt: string;
}

/** A leased car's policy: `active` for a quoted premium, `referred` while an underwriter must confirm it. */
export interface CoveredPolicy extends PolicyState {
  readonly status: 'active' | 'referred';
  readonly driver: { readonly id: string; readonly publicKey: string };
  readonly annualPremium: PremiumQuote['annualPremium'];
}

/**
 * A returned car's policy: nobody drives it, so it carries no driver or premium (the premium history keeps
 * them). It names the lessee of the lease the return ended, which the return transaction itself records, so
 * that it is the same whatever order the events were processed in.
 */
export interface ParkedPolicy extends PolicyState {
  readonly status: 'parked';
  readonly formerDriverPublicKey: string;
}

/** A car's current policy: the row `policies/<asset id>/current`. */
export type Policy = CoveredPolicy | ParkedPolicy;

/** What {@link PolicyStore.applyPolicyIfNewer} did. */
export interface PolicyApplied {
  /** Whether this policy was written; false when the stored one is as new or newer. */
  readonly applied: boolean;
  /** The policy stored once the call returns. */
  readonly current: Policy;
}

/** Table `policies`: each car's current policy, which only a newer transfer replaces. */
export interface PolicyStore {
  /**
   * The car's current policy, or `undefined` when it has none.
   *
   * @throws UpstreamError when storage fails; CorruptRowError when the stored row is not a policy.
   */
  getPolicy(assetId: string): Promise<Policy | undefined>;
  /**
   * Writes `policy` unless the stored one is as new or newer: newer means a greater height, or the same height
   * and a transfer that spends the stored one's output. Optimistic concurrency: the write is conditional on
   * the ETag read (or on absence), and is tried again from the read when another writer got in between, up to
   * {@link MAX_POLICY_WRITE_ATTEMPTS} times.
   *
   * @throws UpstreamError when storage fails or every attempt lost a race (the caller retries later);
   * CorruptRowError when the stored row is not a policy.
   */
  applyPolicyIfNewer(policy: Policy): Promise<PolicyApplied>;
}

/** The policy store over Table `policies`. Creates no table: that is deployment's (or a test's) job. */
export function createPolicyStore(table: TableClient): PolicyStore {
  return new TablePolicyStore(table);
}

/**
 * A car's current policy straight from Table `policies`, or `undefined` when it has none.
 *
 * @throws UpstreamError when storage fails; CorruptRowError when the stored row is not a policy.
 */
export function readPolicy(table: TableClient, assetId: string): Promise<Policy | undefined> {
  return createPolicyStore(table).getPolicy(assetId);
}

/** Whether `next` follows `stored` in the car's life, so that it replaces it. */
export function supersedes(
  next: Pick<Policy, 'height' | 'spentTransactionId'>,
  stored: Pick<Policy, 'height' | 'transactionId'>,
): boolean {
  return (
    next.height > stored.height || (next.height === stored.height && next.spentTransactionId === stored.transactionId)
  );
}

const hex64 = { type: 'string', pattern: '^[0-9a-f]{64}$' } as const;
const stateProperties = {
  assetId: hex64,
  height: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER },
  transactionId: hex64,
  spentTransactionId: hex64,
  updatedAt: { type: 'string', minLength: 1 },
} as const;
const stateRequired = ['assetId', 'height', 'transactionId', 'spentTransactionId', 'updatedAt', 'status'] as const;

const coveredPolicySchema = {
  type: 'object',
  required: [...stateRequired, 'driver', 'annualPremium'],
  additionalProperties: false,
  properties: {
    ...stateProperties,
    status: { type: 'string', enum: ['active', 'referred'] },
    driver: {
      type: 'object',
      required: ['id', 'publicKey'],
      additionalProperties: false,
      properties: { id: { type: 'string', minLength: 1 }, publicKey: { type: 'string', minLength: 1 } },
    },
    annualPremium: {
      type: 'object',
      required: ['amount', 'currency'],
      additionalProperties: false,
      properties: { amount: { type: 'number', minimum: 0 }, currency: { type: 'string', pattern: '^[A-Z]{3}$' } },
    },
  },
} as const;

const parkedPolicySchema = {
  type: 'object',
  required: [...stateRequired, 'formerDriverPublicKey'],
  additionalProperties: false,
  properties: {
    ...stateProperties,
    status: { type: 'string', const: 'parked' },
    formerDriverPublicKey: { type: 'string', minLength: 1 },
  },
} as const;

const isCoveredPolicy = compileRowSchema<FromSchema<typeof coveredPolicySchema>>(coveredPolicySchema);
const isParkedPolicy = compileRowSchema<FromSchema<typeof parkedPolicySchema>>(parkedPolicySchema);

interface StoredPolicy {
  readonly policy: Policy;
  readonly etag: string;
}

class TablePolicyStore implements PolicyStore {
  constructor(private readonly table: TableClient) {}

  async getPolicy(assetId: string): Promise<Policy | undefined> {
    return (await this.read(assetId))?.policy;
  }

  async applyPolicyIfNewer(policy: Policy): Promise<PolicyApplied> {
    const address = addressOf(policy.assetId);
    for (let attempt = 1; attempt <= MAX_POLICY_WRITE_ATTEMPTS; attempt++) {
      const stored = await this.read(policy.assetId);
      if (stored !== undefined && !supersedes(policy, stored.policy)) return { applied: false, current: stored.policy };
      if (await this.write(policy, stored?.etag)) return { applied: true, current: policy };
    }
    const where = `${this.table.tableName}/${address.partitionKey}/${address.rowKey}`;
    const message = `storage: write ${where} lost to other writers ${MAX_POLICY_WRITE_ATTEMPTS} times`;
    throw new UpstreamError({ status: 503, service: 'storage', message });
  }

  // A conditional write: insert when nothing was read, replace only the version read. False when it lost a race.
  private async write(policy: Policy, etag: string | undefined): Promise<boolean> {
    const entity = toEntity(policy);
    try {
      if (etag === undefined) await this.table.createEntity(entity);
      else await this.table.updateEntity(entity, 'Replace', { etag });
      return true;
    } catch (error: unknown) {
      const lost = etag === undefined ? 409 : 412;
      if (storageStatusOf(error) === lost) return false;
      throw tableFailure(this.table, etag === undefined ? 'create' : 'replace', addressOf(policy.assetId), error);
    }
  }

  private async read(assetId: string): Promise<StoredPolicy | undefined> {
    const address = addressOf(assetId);
    const row = await getRow(this.table, address);
    return row === undefined ? undefined : { policy: this.fromEntity(address, row), etag: row.etag };
  }

  private fromEntity(address: RowAddress, row: Record<string, unknown>): Policy {
    const state = {
      assetId: row['partitionKey'],
      height: heightOf(row['height']),
      transactionId: row['transactionId'],
      spentTransactionId: row['spentTransactionId'],
      updatedAt: row['updatedAt'],
      status: row['status'],
    };
    if (row['status'] === 'parked') {
      return expectRow(isParkedPolicy, this.table, address, {
        ...state,
        formerDriverPublicKey: row['formerDriverPublicKey'],
      });
    }
    const covered = {
      ...state,
      driver: { id: row['driverId'], publicKey: row['driverPublicKey'] },
      annualPremium: { amount: row['annualPremiumAmount'], currency: row['annualPremiumCurrency'] },
    };
    return expectRow(isCoveredPolicy, this.table, address, covered);
  }
}

function toEntity(policy: Policy): Record<string, unknown> & RowAddress {
  const state = {
    ...addressOf(policy.assetId),
    status: policy.status,
    height: int64(policy.height),
    transactionId: policy.transactionId,
    spentTransactionId: policy.spentTransactionId,
    updatedAt: policy.updatedAt,
  };
  if (policy.status === 'parked') return { ...state, formerDriverPublicKey: policy.formerDriverPublicKey };
  return {
    ...state,
    driverId: policy.driver.id,
    driverPublicKey: policy.driver.publicKey,
    annualPremiumAmount: { value: policy.annualPremium.amount, type: 'Double' },
    annualPremiumCurrency: policy.annualPremium.currency,
  };
}

function addressOf(assetId: string): RowAddress {
  return { partitionKey: assetId, rowKey: CURRENT_POLICY_ROW };
}
