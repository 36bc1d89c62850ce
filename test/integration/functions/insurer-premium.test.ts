import { randomBytes } from 'node:crypto';

import { QueueServiceClient } from '@azure/storage-queue';

import { insurerPremium, insurerPremiumOptions, type InsurerPremiumServices } from '../../../functions/insurer-premium';
import { BigchainDbClient } from '../../../shared/bigchaindb-client';
import { createDriverStore } from '../../../shared/driver-store';
import { UpstreamError, ValidationError } from '../../../shared/errors';
import { quotePremium } from '../../../shared/leasing/pricing';
import type { LedgerEvent } from '../../../shared/ledger-event';
import { createPolicyStore } from '../../../shared/policy-store';
import { createPremiumStore } from '../../../shared/premium-store';
import { generateKeyPair, type KeyPair } from '../../../shared/transaction/signing';
import { carAsset, leaseCar, leaseMetadata, registerCar, returnCar, returnMetadata } from '../../helpers/car-fixtures';
import { startTestNode } from '../../helpers/dev-node';
import { type AppFixture, startAppFixture } from '../../helpers/functions-app';
import {
  commitAndDescribe,
  drainPremiumChanges,
  invokeQueueHandler,
  ledgerEventOf,
  type LogLine,
} from '../../helpers/insurer-harness';
import { randomVin } from '../../helpers/leasing-data';
import { RecordingTelemetry } from '../../helpers/recording-telemetry';
import { createTransaction, outputTo, type SignedTransaction, transferTransaction } from '../../helpers/transactions';

const NOW = new Date('2025-07-01T08:00:00.000Z');
const history = {
  licensedSince: '2012-05-03',
  atFaultAccidents: [{ date: '2023-04-17' }],
  claims: [{ date: '2023-04-20', amountEur: 1850 }],
  violations: [{ date: '2024-09-02', kind: 'speeding' as const }],
};

let app: AppFixture;
let company: KeyPair;
let telemetry: RecordingTelemetry;
let services: InsurerPremiumServices;

beforeAll(async () => {
  app = await startAppFixture();
  company = app.company;
});

beforeEach(async () => {
  telemetry = new RecordingTelemetry();
  services = { ...app.services, telemetry, now: () => NOW };
  await app.services.premiumChanges.clearMessages();
});

afterAll(() => app.close());

const premiums = () => createPremiumStore(app.services.premiums);
const policies = () => createPolicyStore(app.services.policies);
const commit = (transaction: SignedTransaction): Promise<LedgerEvent> =>
  commitAndDescribe(app.services.bigchainDb, transaction);
const process = (event: unknown, logs?: LogLine[]): Promise<LogLine[]> =>
  invokeQueueHandler(insurerPremium(services), event, logs);

/** A car registered and leased to a known driver, both committed. */
async function leasedCar(
  lessee = generateKeyPair(),
  known = true,
): Promise<{ car: SignedTransaction; lease: SignedTransaction; event: LedgerEvent; lessee: KeyPair }> {
  if (known) await createDriverStore(app.services.drivers).putDriver(lessee.publicKey, history, NOW);
  const car = registerCar(company, carAsset(randomVin()));
  await commit(car);
  const lease = leaseCar(car, company, lessee, leaseMetadata(lessee, `D-${lessee.publicKey.slice(0, 6)}`));
  return { car, lease, event: await commit(lease), lessee };
}

function expectedQuote(driverKnown: boolean): ReturnType<typeof quotePremium> {
  return quotePremium({
    car: carAsset(),
    yearlyMileageKm: 15000,
    driver: driverKnown ? history : undefined,
    asOf: new Date('2025-07-01T00:00:00Z'),
  });
}

test('registration options bind the ledger-events queue on the host storage connection', () => {
  expect(insurerPremiumOptions).toEqual({ queueName: 'ledger-events', connection: 'AzureWebJobsStorage' });
});

describe('a lease', () => {
  test('stores the premium, activates the policy and sends exactly one premium-changes message', async () => {
    const { car, lease, event, lessee } = await leasedCar();
    await process(event);

    const quote = expectedQuote(true);
    const driverId = `D-${lessee.publicKey.slice(0, 6)}`;
    await expect(premiums().listPremiums(car.id)).resolves.toEqual([
      {
        assetId: car.id,
        transactionId: lease.id,
        height: event.height,
        driverId,
        driverPublicKey: lessee.publicKey,
        annualPremium: quote.annualPremium,
        status: 'quoted',
        factors: quote.factors,
        computedAt: NOW.toISOString(),
        relayedAt: event.relayed_at,
        notified: true,
      },
    ]);
    await expect(policies().getPolicy(car.id)).resolves.toEqual({
      assetId: car.id,
      height: event.height,
      transactionId: lease.id,
      spentTransactionId: car.id,
      updatedAt: NOW.toISOString(),
      status: 'active',
      driver: { id: driverId, publicKey: lessee.publicKey },
      annualPremium: quote.annualPremium,
    });
    await expect(drainPremiumChanges(app.services.premiumChanges)).resolves.toEqual([
      {
        assetId: car.id,
        transactionId: lease.id,
        height: event.height,
        driverId,
        driverPublicKey: lessee.publicKey,
        annualPremium: quote.annualPremium,
        status: 'quoted',
        computedAt: NOW.toISOString(),
      },
    ]);
    expect(telemetry.records.filter(({ kind }) => kind === 'event')).toEqual([
      {
        kind: 'event',
        name: 'PremiumChanged',
        properties: {
          assetId: car.id,
          transactionId: lease.id,
          status: 'quoted',
          amount: quote.annualPremium.amount,
          currency: 'EUR',
        },
      },
    ]);
    expect(telemetry.metric('PremiumProcessingMs')).toEqual([
      { value: expect.any(Number), properties: { outcome: 'lease' } },
    ]);
  });

  test('delivered twice gives one premium row and one message; the second delivery changes nothing', async () => {
    const { car, event } = await leasedCar();
    await process(event);
    const stored = await premiums().listPremiums(car.id);
    services = { ...services, now: () => new Date('2025-07-05T00:00:00.000Z') };
    const logs = await process(event);

    await expect(premiums().listPremiums(car.id)).resolves.toEqual(stored);
    expect(await drainPremiumChanges(app.services.premiumChanges)).toHaveLength(1);
    expect(telemetry.events('PremiumChanged')).toHaveLength(1);
    expect(telemetry.metric('PremiumProcessingMs')).toHaveLength(2);
    expect(logs).toContainEqual({
      level: 'information',
      text: `premium of lease ${event.transaction_id} was stored before (duplicate delivery): keeping it`,
    });
  });

  test('of a driver unknown to the insurer is referred, with the unknown-driver surcharge', async () => {
    const { car, event } = await leasedCar(generateKeyPair(), false);
    const logs = await process(event);

    const quote = expectedQuote(false);
    const [stored] = await premiums().listPremiums(car.id);
    expect(stored).toMatchObject({
      status: 'referred',
      annualPremium: quote.annualPremium,
      factors: { unknownDriverSurcharge: 0.5, yearsLicensed: null },
    });
    expect(quote.annualPremium.amount).toBeGreaterThan(expectedQuote(true).annualPremium.amount);
    await expect(policies().getPolicy(car.id)).resolves.toMatchObject({
      status: 'referred',
      annualPremium: quote.annualPremium,
    });
    expect(await drainPremiumChanges(app.services.premiumChanges)).toEqual([
      expect.objectContaining({ status: 'referred' }),
    ]);
    expect(logs.filter(({ level }) => level === 'warning').map(({ text }) => text)).toEqual([
      expect.stringMatching(/^driver D-\w+ \(\w+\) is unknown to the insurer: the premium is referred$/),
    ]);
  });

  test('processed after a newer lease of the same car leaves the newer policy, and both premiums are kept', async () => {
    const first = await leasedCar();
    const returned = returnCar(first.lease, company);
    const returnEvent = await commit(returned);
    const secondLessee = generateKeyPair();
    const second = leaseCar(returned, company, secondLessee, leaseMetadata(secondLessee, 'D-second', '2026-07-01'));
    const secondEvent = await commit(second);

    await process(secondEvent);
    await process(first.event);
    await process(returnEvent);

    await expect(policies().getPolicy(first.car.id)).resolves.toMatchObject({
      status: 'referred',
      transactionId: second.id,
      height: secondEvent.height,
    });
    const listed = await premiums().listPremiums(first.car.id);
    expect(listed.map(({ transactionId, height }) => ({ transactionId, height }))).toEqual([
      { transactionId: first.lease.id, height: first.event.height },
      { transactionId: second.id, height: secondEvent.height },
    ]);
    expect((await drainPremiumChanges(app.services.premiumChanges)).map(({ transactionId }) => transactionId)).toEqual([
      second.id,
      first.lease.id,
    ]);
  });
});

describe('a return', () => {
  test('parks the policy, naming the former driver, and writes no premium and no message', async () => {
    const { car, lease, event, lessee } = await leasedCar();
    await process(event);
    await drainPremiumChanges(app.services.premiumChanges);
    const returned = returnCar(lease, company, returnMetadata('2026-06-30'));
    const returnEvent = await commit(returned);
    telemetry = new RecordingTelemetry();
    services = { ...services, telemetry };

    await process(returnEvent);

    await expect(policies().getPolicy(car.id)).resolves.toEqual({
      assetId: car.id,
      height: returnEvent.height,
      transactionId: returned.id,
      spentTransactionId: lease.id,
      updatedAt: NOW.toISOString(),
      status: 'parked',
      formerDriverPublicKey: lessee.publicKey,
    });
    expect((await premiums().listPremiums(car.id)).map(({ transactionId }) => transactionId)).toEqual([lease.id]);
    await expect(drainPremiumChanges(app.services.premiumChanges)).resolves.toEqual([]);
    expect(telemetry.records.filter(({ kind }) => kind === 'event')).toEqual([]);
  });
});

describe('events that need nothing', () => {
  test("a car's CREATE is logged and writes nothing", async () => {
    const car = registerCar(company, carAsset(randomVin()));
    const logs = await process(await commit(car));
    expect(logs).toEqual([
      { level: 'information', text: `transaction ${car.id} is a CREATE: nothing to price until the asset is leased` },
    ]);
    await expectNothingWritten(car.id);
  });

  test('a transfer of an asset that is not a car is logged and writes nothing', async () => {
    const lessee = generateKeyPair();
    const painting = createTransaction(company, { kind: 'painting', title: randomVin() });
    await commit(painting);
    const transfer = leaseCar(painting, company, lessee);
    const logs = await process(await commit(transfer));
    expect(logs).toEqual([
      {
        level: 'information',
        text: `asset ${painting.id} is not one of the leasing company's cars (its CREATE's asset data is not a version-1 car): ignored`,
      },
    ]);
    await expectNothingWritten(painting.id);
  });

  test('a lease of a car the leasing company did not register is logged and writes nothing', async () => {
    const dealer = generateKeyPair();
    const car = registerCar(dealer, carAsset(randomVin()));
    await commit(car);
    const logs = await process(await commit(leaseCar(car, dealer, generateKeyPair())));
    expect(logs).toEqual([
      {
        level: 'information',
        text: `asset ${car.id} is not one of the leasing company's cars (the leasing company did not register it): ignored`,
      },
    ]);
    await expectNothingWritten(car.id);
  });

  test('a transfer of a car that is neither a lease nor a return is logged with the reason and writes nothing', async () => {
    const car = registerCar(company, carAsset(randomVin()));
    await commit(car);
    const sale = transferTransaction([{ tx: car, outputIndex: 0 }], [outputTo(generateKeyPair())], [company], {
      kind: 'sale',
    });
    const logs = await process(await commit(sale));
    expect(logs).toEqual([
      {
        level: 'information',
        text: `transfer ${sale.id} of car ${car.id} is neither a lease nor a return: its metadata is neither a lease nor a return (metadata.kind)`,
      },
    ]);
    await expectNothingWritten(car.id);
  });

  async function expectNothingWritten(assetId: string): Promise<void> {
    await expect(premiums().listPremiums(assetId)).resolves.toEqual([]);
    await expect(policies().getPolicy(assetId)).resolves.toBeUndefined();
    await expect(drainPremiumChanges(app.services.premiumChanges)).resolves.toEqual([]);
    expect(telemetry.records.filter(({ kind }) => kind === 'event')).toEqual([]);
  }
});

describe('failures', () => {
  test.each<[string, unknown, string, string, string]>([
    ['a negative height', 'height', '/height', 'minimum', 'ledger event /height must be >= 0'],
    [
      'a missing transaction id',
      'transaction_id',
      '/transaction_id',
      'required',
      'ledger event /transaction_id is required',
    ],
    [
      'an unknown source',
      'source',
      '/source',
      'enum',
      'ledger event /source must be one of "stream", "backfill", "webhook", "replay"',
    ],
  ])(
    'a message with %s throws a ValidationError naming the field, after logging it',
    async (_name, key, field, rule, message) => {
      const valid = ledgerEventOf({ id: randomBytes(32).toString('hex') }, 3);
      const malformed =
        key === 'height'
          ? { ...valid, height: -1 }
          : key === 'source'
            ? { ...valid, source: 'carrier-pigeon' }
            : { ...valid, [key as string]: undefined };
      const logs: LogLine[] = [];
      const error = await process(JSON.parse(JSON.stringify(malformed)), logs).catch((thrown: unknown) => thrown);
      expect(error).toBeInstanceOf(ValidationError);
      expect(error).toMatchObject({ code: 'VALIDATION_FAILED', field, rule, message });
      expect(logs).toEqual([
        { level: 'error', text: `malformed ledger event, failing it towards the poison queue: ${message}` },
      ]);
      expect(telemetry.metric('PremiumProcessingMs')).toEqual([
        { value: expect.any(Number), properties: { outcome: 'failed' } },
      ]);
    },
  );

  test('a message that is not an object throws a ValidationError for the whole message', async () => {
    await expect(process('not an event')).rejects.toMatchObject({ name: 'ValidationError', field: '', rule: 'type' });
  });

  test("an event whose asset id is not its transaction's throws a ValidationError and writes nothing", async () => {
    const { car, event } = await leasedCar();
    const wrongAsset = randomBytes(32).toString('hex');
    await expect(process({ ...event, asset_id: wrongAsset })).rejects.toMatchObject({
      name: 'ValidationError',
      field: '/asset_id',
      rule: 'asset-of-transaction',
    });
    await expect(premiums().listPremiums(car.id)).resolves.toEqual([]);
  });

  test('a transaction the node does not have throws an UpstreamError so that the host retries', async () => {
    const missing = randomBytes(32).toString('hex');
    const logs: LogLine[] = [];
    const error = await process(ledgerEventOf({ id: missing }, 3), logs).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(UpstreamError);
    expect(error).toMatchObject({
      service: 'bigchaindb',
      message: `bigchaindb: committed transaction ${missing} is not on the node`,
    });
    expect(logs).toEqual([
      { level: 'warning', text: `transaction ${missing} is not on the BigchainDB node yet; failing to retry` },
    ]);
  });

  test('BigchainDB down throws an UpstreamError and writes nothing', async () => {
    const node = await startTestNode();
    const bigchainDb = new BigchainDbClient({ apiUrl: node.apiUrl, requestTimeoutMs: 5000 });
    const lessee = generateKeyPair();
    const car = registerCar(company, carAsset(randomVin()));
    await commitAndDescribe(bigchainDb, car);
    const event = await commitAndDescribe(bigchainDb, leaseCar(car, company, lessee));
    await node.close();
    services = { ...services, bigchainDb };

    await expect(process(event)).rejects.toMatchObject({ name: 'UpstreamError', service: 'bigchaindb', status: 503 });
    await expect(premiums().listPremiums(car.id)).resolves.toEqual([]);
    await expect(policies().getPolicy(car.id)).resolves.toBeUndefined();
    await expect(drainPremiumChanges(app.services.premiumChanges)).resolves.toEqual([]);
  });

  test('a stop after the premium is stored and before it is announced sends the message exactly once on redelivery', async () => {
    const { car, lease, event } = await leasedCar();
    const queues = QueueServiceClient.fromConnectionString(app.storage.connectionString);
    const missingQueue = queues.getQueueClient(`missing-${randomBytes(4).toString('hex')}`);

    services = { ...services, premiumChanges: missingQueue };
    const error = await process(event).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(UpstreamError);
    expect(error).toMatchObject({ service: 'storage', status: 503, upstreamStatus: 404 });
    await expect(premiums().listPremiums(car.id)).resolves.toEqual([
      expect.objectContaining({ transactionId: lease.id, notified: false }),
    ]);
    // The policy is updated beside the announcement, from the stored premium: the failed send does not hold it back.
    await expect(policies().getPolicy(car.id)).resolves.toMatchObject({ status: 'active', transactionId: lease.id });

    services = { ...services, premiumChanges: app.services.premiumChanges };
    await process(event);
    await process(event);

    expect((await drainPremiumChanges(app.services.premiumChanges)).map(({ transactionId }) => transactionId)).toEqual([
      lease.id,
    ]);
    await expect(premiums().listPremiums(car.id)).resolves.toEqual([expect.objectContaining({ notified: true })]);
    await expect(policies().getPolicy(car.id)).resolves.toMatchObject({ status: 'active', transactionId: lease.id });
    expect(telemetry.events('PremiumChanged')).toHaveLength(1);
  });
});
