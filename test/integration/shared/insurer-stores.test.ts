import { randomBytes } from 'node:crypto';

import { TableClient } from '@azure/data-tables';

import { type LocalStorage, startLocalStorage } from '../../../dev/azurite/local-storage';
import { createDriverStore } from '../../../shared/driver-store';
import { CorruptRowError, UpstreamError } from '../../../shared/errors';
import { quotePremium } from '../../../shared/leasing/pricing';
import {
  type CoveredPolicy,
  createPolicyStore,
  MAX_POLICY_WRITE_ATTEMPTS,
  type ParkedPolicy,
  type Policy,
} from '../../../shared/policy-store';
import { createPremiumStore, type PremiumRecord } from '../../../shared/premium-store';
import { createTableClient, createTableServiceClient } from '../../../shared/storage-clients';
import { generateKeyPair } from '../../../shared/transaction/signing';
import { carAsset } from '../../helpers/car-fixtures';

let storage: LocalStorage;
let tables: Record<'drivers' | 'premiums' | 'policies', TableClient>;

beforeAll(async () => {
  storage = await startLocalStorage({ host: '127.0.0.1' });
  const connection = { kind: 'connectionString', connectionString: storage.connectionString } as const;
  const service = createTableServiceClient(connection);
  await Promise.all(['drivers', 'premiums', 'policies'].map((name) => service.createTable(name)));
  tables = {
    drivers: createTableClient(connection, 'drivers'),
    premiums: createTableClient(connection, 'premiums'),
    policies: createTableClient(connection, 'policies'),
  };
});

afterAll(async () => {
  const service = createTableServiceClient({ kind: 'connectionString', connectionString: storage.connectionString });
  await Promise.all(['drivers', 'premiums', 'policies'].map((name) => service.deleteTable(name)));
  await storage.close();
});

const hex64 = (): string => randomBytes(32).toString('hex');

const history = {
  licensedSince: '2012-05-03',
  atFaultAccidents: [{ date: '2023-04-17', description: 'Rear-ended at a junction' }],
  claims: [{ date: '2023-04-20', amountEur: 1850 }],
  violations: [{ date: '2024-09-02', kind: 'speeding' as const }],
};

describe('driver store', () => {
  test('a driver never stored reads as undefined', async () => {
    await expect(createDriverStore(tables.drivers).getDriver(generateKeyPair().publicKey)).resolves.toBeUndefined();
  });

  test('the first put creates the record, the next one replaces it, and get reads the last', async () => {
    const drivers = createDriverStore(tables.drivers);
    const { publicKey } = generateKeyPair();
    const first = await drivers.putDriver(publicKey, history, new Date('2025-01-01T10:00:00Z'));
    expect(first).toEqual({ created: true, record: { publicKey, history, updatedAt: '2025-01-01T10:00:00.000Z' } });
    const clean = { ...history, atFaultAccidents: [], claims: [] };
    const second = await drivers.putDriver(publicKey, clean, new Date('2025-02-01T10:00:00Z'));
    expect(second).toEqual({
      created: false,
      record: { publicKey, history: clean, updatedAt: '2025-02-01T10:00:00.000Z' },
    });
    await expect(drivers.getDriver(publicKey)).resolves.toEqual(second.record);
  });

  test('a row whose history is not JSON is a CorruptRowError naming the row', async () => {
    const { publicKey } = generateKeyPair();
    await tables.drivers.createEntity({
      partitionKey: publicKey,
      rowKey: 'history',
      history: '{oops',
      updatedAt: '2025-01-01T00:00:00.000Z',
    });
    const error = await createDriverStore(tables.drivers)
      .getDriver(publicKey)
      .catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(CorruptRowError);
    expect(error).toMatchObject({
      code: 'STORED_ROW_CORRUPT',
      table: 'drivers',
      partitionKey: publicKey,
      rowKey: 'history',
      reason: '/history is not JSON',
    });
  });

  test('a row whose history breaks the schema names the field', async () => {
    const { publicKey } = generateKeyPair();
    await tables.drivers.createEntity({
      partitionKey: publicKey,
      rowKey: 'history',
      history: JSON.stringify({ ...history, licensedSince: 12 }),
      updatedAt: 'x',
    });
    await expect(createDriverStore(tables.drivers).getDriver(publicKey)).rejects.toThrow(
      new RegExp(`^row drivers/${publicKey}/history is corrupt: /licensedSince must be string$`),
    );
  });
});

function premium(
  assetId: string,
  height: number,
  overrides: Partial<PremiumRecord> = {},
): Omit<PremiumRecord, 'notified'> {
  const quote = quotePremium({
    car: carAsset(),
    yearlyMileageKm: 15000,
    driver: history,
    asOf: new Date('2025-07-01T00:00:00Z'),
  });
  return {
    assetId,
    transactionId: hex64(),
    height,
    driverId: 'D-1',
    driverPublicKey: generateKeyPair().publicKey,
    annualPremium: quote.annualPremium,
    status: quote.status,
    factors: quote.factors,
    computedAt: '2025-07-01T08:00:00.000Z',
    relayedAt: '2025-07-01T07:59:59.000Z',
    ...overrides,
  };
}

describe('premium store', () => {
  test('insertPremiumIfAbsent inserts once; a second insert keeps and returns the stored row', async () => {
    const premiums = createPremiumStore(tables.premiums);
    const first = premium(hex64(), 7);
    await expect(premiums.insertPremiumIfAbsent(first)).resolves.toEqual({
      inserted: true,
      record: { ...first, notified: false },
    });
    const again = { ...first, annualPremium: { amount: 1, currency: 'EUR' }, computedAt: '2025-07-02T08:00:00.000Z' };
    await expect(premiums.insertPremiumIfAbsent(again)).resolves.toEqual({
      inserted: false,
      record: { ...first, notified: false },
    });
    await expect(premiums.listPremiums(first.assetId)).resolves.toEqual([{ ...first, notified: false }]);
  });

  test('markNotified sets the flag, which a later insert reports', async () => {
    const premiums = createPremiumStore(tables.premiums);
    const record = premium(hex64(), 3);
    await premiums.insertPremiumIfAbsent(record);
    await premiums.markNotified(record.assetId, record.transactionId);
    await expect(premiums.insertPremiumIfAbsent(record)).resolves.toEqual({
      inserted: false,
      record: { ...record, notified: true },
    });
  });

  test("listPremiums returns a car's rows in height order, whatever their keys, and only that car's", async () => {
    const premiums = createPremiumStore(tables.premiums);
    const assetId = hex64();
    const rows = [
      premium(assetId, 30),
      premium(assetId, 10),
      premium(assetId, 20, { annualPremium: { amount: 1500, currency: 'EUR' } }),
    ];
    for (const row of rows) await premiums.insertPremiumIfAbsent(row);
    await premiums.insertPremiumIfAbsent(premium(hex64(), 15));
    const listed = await premiums.listPremiums(assetId);
    expect(listed.map(({ height }) => height)).toEqual([10, 20, 30]);
    expect(listed[1]?.annualPremium).toEqual({ amount: 1500, currency: 'EUR' });
    await expect(premiums.listPremiums(hex64())).resolves.toEqual([]);
  });

  test('heights beyond Int32 are kept exactly', async () => {
    const premiums = createPremiumStore(tables.premiums);
    const record = premium(hex64(), 2 ** 40 + 1);
    await premiums.insertPremiumIfAbsent(record);
    await expect(premiums.listPremiums(record.assetId)).resolves.toEqual([{ ...record, notified: false }]);
  });

  test('a row with a corrupt status is a CorruptRowError naming the row and field', async () => {
    const premiums = createPremiumStore(tables.premiums);
    const record = premium(hex64(), 4);
    await premiums.insertPremiumIfAbsent(record);
    await tables.premiums.updateEntity(
      { partitionKey: record.assetId, rowKey: record.transactionId, status: 'approved' },
      'Merge',
    );
    await expect(premiums.listPremiums(record.assetId)).rejects.toThrow(
      new RegExp(
        `^row premiums/${record.assetId}/${record.transactionId} is corrupt: /status must be equal to one of the allowed values$`,
      ),
    );
    await expect(premiums.insertPremiumIfAbsent(record)).rejects.toBeInstanceOf(CorruptRowError);
  });
});

function covered(assetId: string, height: number, overrides: Partial<CoveredPolicy> = {}): CoveredPolicy {
  return {
    assetId,
    height,
    transactionId: hex64(),
    spentTransactionId: hex64(),
    updatedAt: '2025-07-01T08:00:00.000Z',
    status: 'active',
    driver: { id: 'D-1', publicKey: generateKeyPair().publicKey },
    annualPremium: { amount: 1234.56, currency: 'EUR' },
    ...overrides,
  };
}

function parked(assetId: string, height: number, spentTransactionId = hex64()): ParkedPolicy {
  return {
    assetId,
    height,
    transactionId: hex64(),
    spentTransactionId,
    updatedAt: '2025-07-02T08:00:00.000Z',
    status: 'parked',
    formerDriverPublicKey: generateKeyPair().publicKey,
  };
}

describe('policy store', () => {
  test('the first policy of a car is written', async () => {
    const policies = createPolicyStore(tables.policies);
    const policy = covered(hex64(), 5);
    await expect(policies.applyPolicyIfNewer(policy)).resolves.toEqual({ applied: true, current: policy });
    await expect(policies.getPolicy(policy.assetId)).resolves.toEqual(policy);
  });

  test('a newer height replaces the policy; an older or equal one leaves it', async () => {
    const policies = createPolicyStore(tables.policies);
    const assetId = hex64();
    const newer = covered(assetId, 9);
    await policies.applyPolicyIfNewer(covered(assetId, 5));
    await expect(policies.applyPolicyIfNewer(newer)).resolves.toEqual({ applied: true, current: newer });
    await expect(policies.applyPolicyIfNewer(covered(assetId, 7))).resolves.toEqual({ applied: false, current: newer });
    await expect(policies.applyPolicyIfNewer(covered(assetId, 9))).resolves.toEqual({ applied: false, current: newer });
    await expect(policies.getPolicy(assetId)).resolves.toEqual(newer);
  });

  test('at the same height, the transfer that spends the stored one wins (a lease and its return in one block)', async () => {
    const policies = createPolicyStore(tables.policies);
    const assetId = hex64();
    const lease = covered(assetId, 12);
    const returned = parked(assetId, 12, lease.transactionId);
    await policies.applyPolicyIfNewer(lease);
    await expect(policies.applyPolicyIfNewer(returned)).resolves.toEqual({ applied: true, current: returned });
    await expect(policies.applyPolicyIfNewer(lease)).resolves.toEqual({ applied: false, current: returned });
    await expect(policies.getPolicy(assetId)).resolves.toEqual(returned);
  });

  test('concurrent writers of one car converge on the highest height', async () => {
    const policies = createPolicyStore(tables.policies);
    const assetId = hex64();
    const all: Policy[] = Array.from({ length: MAX_POLICY_WRITE_ATTEMPTS }, (_, index) => covered(assetId, index + 1));
    const results = await Promise.all(all.map((policy) => policies.applyPolicyIfNewer(policy)));
    expect(results.filter(({ applied }) => applied).length).toBeGreaterThanOrEqual(1);
    await expect(policies.getPolicy(assetId)).resolves.toEqual(all[all.length - 1]);
  });

  test('a car without a policy reads as undefined', async () => {
    await expect(createPolicyStore(tables.policies).getPolicy(hex64())).resolves.toBeUndefined();
  });

  test('a row with a corrupt height is a CorruptRowError, and nothing is written over it', async () => {
    const policies = createPolicyStore(tables.policies);
    const policy = covered(hex64(), 5);
    await policies.applyPolicyIfNewer(policy);
    await tables.policies.updateEntity({ partitionKey: policy.assetId, rowKey: 'current', height: 'five' }, 'Merge');
    await expect(policies.applyPolicyIfNewer(covered(policy.assetId, 6))).rejects.toThrow(
      new RegExp(`^row policies/${policy.assetId}/current is corrupt: /height must be integer$`),
    );
    expect((await tables.policies.getEntity(policy.assetId, 'current'))['height']).toBe('five');
  });
});

describe('storage failures', () => {
  test('a missing table is an UpstreamError, never "no row"', async () => {
    const missing = createTableClient(
      { kind: 'connectionString', connectionString: storage.connectionString },
      'nosuchtable',
    );
    const error = await createDriverStore(missing)
      .getDriver(generateKeyPair().publicKey)
      .catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(UpstreamError);
    expect(error).toMatchObject({ status: 503, service: 'storage', upstreamStatus: 404 });
    expect((error as Error).message).toMatch(
      /^storage: read nosuchtable\/[1-9A-HJ-NP-Za-km-z]+\/history failed \(HTTP 404\): /,
    );
  });

  test('storage that is down is an UpstreamError without an upstream status', async () => {
    const down = await startLocalStorage({ host: '127.0.0.1' });
    await down.close();
    const client = TableClient.fromConnectionString(down.connectionString, 'premiums', {
      allowInsecureConnection: true,
      retryOptions: { maxRetries: 0 },
    });
    const error = await createPolicyStore(client)
      .applyPolicyIfNewer(covered(hex64(), 1))
      .catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(UpstreamError);
    expect(error).toMatchObject({ status: 503, service: 'storage', upstreamStatus: undefined });
  });
});
