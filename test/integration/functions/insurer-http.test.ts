import { randomBytes } from 'node:crypto';

import { getCarPremiums, getCarPremiumsOptions } from '../../../functions/get-car-premiums';
import { getDriver, getDriverOptions } from '../../../functions/get-driver';
import { insurerPremium } from '../../../functions/insurer-premium';
import { putDriver, putDriverOptions } from '../../../functions/put-driver';
import { quotePremium } from '../../../shared/leasing/pricing';
import { createTableClient } from '../../../shared/storage-clients';
import { generateKeyPair } from '../../../shared/transaction/signing';
import { carAsset, leaseCar, leaseMetadata, registerCar, returnCar } from '../../helpers/car-fixtures';
import { type AppFixture, callHttp, startAppFixture, type TestResponse } from '../../helpers/functions-app';
import { commitAndDescribe, invokeQueueHandler } from '../../helpers/insurer-harness';
import { randomVin } from '../../helpers/leasing-data';
import { RecordingTelemetry } from '../../helpers/recording-telemetry';
import { createTransaction } from '../../helpers/transactions';

const NOW = new Date('2025-07-01T08:00:00.000Z');
const history = {
  licensedSince: '2012-05-03',
  atFaultAccidents: [{ date: '2023-04-17', description: 'Rear-ended at a junction' }],
  claims: [{ date: '2023-04-20', amountEur: 1850 }],
  violations: [{ date: '2024-09-02', kind: 'speeding' as const }],
};

let app: AppFixture;

beforeAll(async () => {
  app = await startAppFixture();
});

afterAll(() => app.close());

const services = (): AppFixture['services'] => ({ ...app.services, now: () => NOW });
const put = (publicKey: string, body: unknown): Promise<TestResponse> =>
  callHttp(putDriver(services()), { method: 'PUT', params: { publicKey }, body });
const get = (publicKey: string): Promise<TestResponse> =>
  callHttp(getDriver(services()), { method: 'GET', params: { publicKey } });
const premiumsOf = (assetId: string): Promise<TestResponse> =>
  callHttp(getCarPremiums(services()), { method: 'GET', params: { assetId } });

describe('registration options', () => {
  test('name the routes, methods and function-key auth', () => {
    expect(putDriverOptions).toEqual({ methods: ['PUT'], route: 'drivers/{publicKey}', authLevel: 'function' });
    expect(getDriverOptions).toEqual({ methods: ['GET'], route: 'drivers/{publicKey}', authLevel: 'function' });
    expect(getCarPremiumsOptions).toEqual({
      methods: ['GET'],
      route: 'cars/{assetId}/premiums',
      authLevel: 'function',
    });
  });
});

describe('PUT and GET /api/drivers/{publicKey}', () => {
  test('a first PUT answers 201 with the stored record, a second 200, and GET reads the last', async () => {
    const { publicKey } = generateKeyPair();
    const created = await put(publicKey, history);
    expect(created).toMatchObject({ status: 201, body: { publicKey, history, updatedAt: NOW.toISOString() } });
    const clean = { ...history, atFaultAccidents: [], claims: [] };
    const replaced = await put(publicKey, clean);
    expect(replaced).toMatchObject({ status: 200, body: { publicKey, history: clean, updatedAt: NOW.toISOString() } });
    const read = await get(publicKey);
    expect(read).toMatchObject({ status: 200, body: { publicKey, history: clean, updatedAt: NOW.toISOString() } });
  });

  test.each<[string, unknown, string, string, RegExp]>([
    ['an empty object', {}, '/licensedSince', 'required', /^driver history \/licensedSince is required$/],
    [
      'a licence in the future',
      { ...history, licensedSince: '2025-07-02' },
      '/licensedSince',
      'not-in-future',
      /^driver history \/licensedSince must not be in the future$/,
    ],
    [
      'an accident in the future',
      { ...history, atFaultAccidents: [{ date: '2030-01-01' }] },
      '/atFaultAccidents/0/date',
      'not-in-future',
      /must not be in the future$/,
    ],
    [
      'an unknown violation kind',
      { ...history, violations: [{ date: '2024-01-01', kind: 'jaywalking' }] },
      '/violations/0/kind',
      'enum',
      /^driver history \/violations\/0\/kind must be one of /,
    ],
    [
      'a date that is no date',
      { ...history, licensedSince: '2012-13-01' },
      '/licensedSince',
      'date',
      /^driver history \/licensedSince must be a date \(YYYY-MM-DD\)$/,
    ],
    [
      'an extra property',
      { ...history, nickname: 'Speedy' },
      '/nickname',
      'additionalProperties',
      /^driver history \/nickname is not an allowed property$/,
    ],
    [
      'a negative claim',
      { ...history, claims: [{ date: '2023-04-20', amountEur: -1 }] },
      '/claims/0/amountEur',
      'minimum',
      /^driver history \/claims\/0\/amountEur must be >= 0$/,
    ],
    ['a list instead of an object', [history], '', 'type', /^driver history must be object$/],
    ['text that is not JSON', '{"licensedSince":', '', 'json', /^request body must be JSON/],
  ])(
    'a PUT with %s answers 400 naming the field and rule, and stores nothing',
    async (_name, body, field, rule, message) => {
      const { publicKey } = generateKeyPair();
      const response = await put(publicKey, body);
      expect(response).toEqual({
        status: 400,
        headers: expect.any(Headers),
        body: { error: { code: 'VALIDATION_FAILED', message: expect.stringMatching(message), field, rule } },
      });
      expect((await get(publicKey)).status).toBe(404);
    },
  );

  test.each([
    ['not base58', 'not-a-key!'],
    ['too short', '3yZe7d'],
    ['too long', `${generateKeyPair().publicKey}${generateKeyPair().publicKey}`],
  ])('a key that is %s answers 400 on PUT and GET', async (_name, publicKey) => {
    const error = {
      code: 'VALIDATION_FAILED',
      message: 'publicKey must be a base58 Ed25519 public key (32 bytes)',
      field: 'publicKey',
      rule: 'ed25519-public-key',
    };
    expect(await put(publicKey, history)).toMatchObject({ status: 400, body: { error } });
    expect(await get(publicKey)).toMatchObject({ status: 400, body: { error } });
  });

  test('GET of a driver the insurer does not know answers 404', async () => {
    const { publicKey } = generateKeyPair();
    expect(await get(publicKey)).toMatchObject({
      status: 404,
      body: { error: { code: 'NOT_FOUND', message: `driver ${publicKey} was not found` } },
    });
  });

  test('GET when the table cannot be read answers 503 with Retry-After', async () => {
    const drivers = createTableClient(app.settings.storage.table, 'nosuchtable');
    const response = await callHttp(getDriver({ drivers }), {
      method: 'GET',
      params: { publicKey: generateKeyPair().publicKey },
    });
    expect(response).toMatchObject({ status: 503, body: { error: { code: 'UPSTREAM_FAILED' } } });
    expect(response.headers.get('retry-after')).toBe('5');
  });
});

describe('GET /api/cars/{assetId}/premiums', () => {
  test("answers the car's premiums in height order, each with its factors", async () => {
    const company = app.company;
    const [first, second] = [generateKeyPair(), generateKeyPair()];
    await put(first.publicKey, history);
    const car = registerCar(company, carAsset(randomVin()));
    await commitAndDescribe(app.services.bigchainDb, car);
    const lease1 = leaseCar(car, company, first, leaseMetadata(first, 'D-first', '2025-07-01'));
    const event1 = await commitAndDescribe(app.services.bigchainDb, lease1);
    const returned = returnCar(lease1, company);
    await commitAndDescribe(app.services.bigchainDb, returned);
    const lease2 = leaseCar(returned, company, second, leaseMetadata(second, 'D-second', '2026-07-01'));
    const event2 = await commitAndDescribe(app.services.bigchainDb, lease2);
    const handler = insurerPremium({ ...services(), telemetry: new RecordingTelemetry() });
    await invokeQueueHandler(handler, event2);
    await invokeQueueHandler(handler, event1);

    const quote1 = quotePremium({
      car: carAsset(),
      yearlyMileageKm: 15000,
      driver: history,
      asOf: new Date('2025-07-01T00:00:00Z'),
    });
    const quote2 = quotePremium({
      car: carAsset(),
      yearlyMileageKm: 15000,
      driver: undefined,
      asOf: new Date('2026-07-01T00:00:00Z'),
    });
    const response = await premiumsOf(car.id);
    expect(response).toEqual({
      status: 200,
      headers: expect.any(Headers),
      body: {
        assetId: car.id,
        premiums: [
          {
            transactionId: lease1.id,
            height: event1.height,
            driverId: 'D-first',
            driverPublicKey: first.publicKey,
            annualPremium: quote1.annualPremium,
            status: 'quoted',
            factors: quote1.factors,
            computedAt: NOW.toISOString(),
          },
          {
            transactionId: lease2.id,
            height: event2.height,
            driverId: 'D-second',
            driverPublicKey: second.publicKey,
            annualPremium: quote2.annualPremium,
            status: 'referred',
            factors: quote2.factors,
            computedAt: NOW.toISOString(),
          },
        ],
      },
    });
  });

  test('answers an empty list for a car that was never leased', async () => {
    const car = registerCar(app.company, carAsset(randomVin()));
    await commitAndDescribe(app.services.bigchainDb, car);
    expect(await premiumsOf(car.id)).toMatchObject({ status: 200, body: { assetId: car.id, premiums: [] } });
  });

  test("answers 404 for an asset that is not one of the leasing company's cars", async () => {
    const unknown = randomBytes(32).toString('hex');
    expect(await premiumsOf(unknown)).toMatchObject({
      status: 404,
      body: { error: { code: 'NOT_FOUND', message: `car ${unknown} was not found` } },
    });
    const painting = createTransaction(app.company, { kind: 'painting', title: randomVin() });
    await commitAndDescribe(app.services.bigchainDb, painting);
    expect(await premiumsOf(painting.id)).toMatchObject({ status: 404, body: { error: { code: 'NOT_FOUND' } } });
  });

  test('answers 400 naming assetId for an id that is not 64 lowercase hex characters', async () => {
    expect(await premiumsOf('ABC')).toMatchObject({
      status: 400,
      body: { error: { code: 'VALIDATION_FAILED', field: 'assetId', rule: 'pattern' } },
    });
  });
});
