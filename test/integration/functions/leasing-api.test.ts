import type { HttpHandler } from '@azure/functions';

import { getCar } from '../../../functions/get-car';
import { leaseCar } from '../../../functions/lease-car';
import { registerCar } from '../../../functions/register-car';
import { returnCar } from '../../../functions/return-car';
import { generateKeyPair } from '../../../shared/transaction/signing';
import { type AppFixture, callHttp, startAppFixture, type TestResponse } from '../../helpers/functions-app';
import { carRegistration, leaseRequest } from '../../helpers/leasing-data';

let app: AppFixture;
let handlers: Record<'register' | 'lease' | 'return' | 'get', HttpHandler>;

beforeAll(async () => {
  app = await startAppFixture();
  handlers = {
    register: registerCar(app.services),
    lease: leaseCar(app.services),
    return: returnCar(app.services),
    get: getCar(app.services),
  };
});

afterAll(() => app.close());

const register = (body: unknown): Promise<TestResponse> => callHttp(handlers.register, { body });
const lease = (assetId: string, body: unknown): Promise<TestResponse> =>
  callHttp(handlers.lease, { params: { assetId }, body });
const returnIt = (assetId: string, body?: unknown): Promise<TestResponse> =>
  callHttp(handlers.return, { params: { assetId }, body });
const get = (assetId: string): Promise<TestResponse> => callHttp(handlers.get, { method: 'GET', params: { assetId } });

async function registeredCar(): Promise<string> {
  const response = await register(carRegistration());
  expect(response.status).toBe(201);
  return (response.body as { assetId: string }).assetId;
}

describe('POST /api/cars', () => {
  it('commits a CREATE of the car signed by the leasing company and answers 201 with the asset id', async () => {
    const car = carRegistration();
    const response = await register(car);
    expect(response.status).toBe(201);
    const { assetId } = response.body as { assetId: string };
    expect(response.body).toEqual({ assetId, vin: car.vin });
    expect(response.headers.get('location')).toBe(`/api/cars/${assetId}`);
    const created = (await app.services.bigchainDb.getTransaction(assetId)) as Record<string, unknown>;
    expect(created).toMatchObject({ operation: 'CREATE', asset: { data: { kind: 'car', schemaVersion: 1, ...car } } });
    expect(created['inputs']).toEqual([expect.objectContaining({ owners_before: [app.company.publicKey] })]);
  });

  it('answers 409 for a second car with the same VIN and commits nothing', async () => {
    const car = carRegistration();
    await register(car);
    const heightBefore = app.node.latestHeight;
    const response = await register({ ...car, model: 'Another model' });
    expect(response).toMatchObject({ status: 409, body: { error: { code: 'CAR_ALREADY_REGISTERED' } } });
    expect((response.body as { error: { message: string } }).error.message).toMatch(
      new RegExp(`^a car with VIN ${car.vin} is already registered as [0-9a-f]{64}$`),
    );
    expect(app.node.latestHeight).toBe(heightBefore);
  });

  it('answers 400 naming the field when the VIN check digit is wrong', async () => {
    const car = carRegistration();
    const wrongDigit = car.vin.charAt(8) === '1' ? '2' : '1';
    const response = await register({ ...car, vin: `${car.vin.slice(0, 8)}${wrongDigit}${car.vin.slice(9)}` });
    expect(response.status).toBe(400);
    expect(response.body).toEqual({
      error: {
        code: 'VALIDATION_FAILED',
        message: expect.stringMatching(/^car registration \/vin must be a valid VIN/),
        field: '/vin',
        rule: 'vin',
      },
    });
  });
});

describe('POST /api/cars/{assetId}/leases', () => {
  it('transfers the car to a 1-of-2 threshold of lessee and company with the lease in the metadata', async () => {
    const assetId = await registeredCar();
    const driver = generateKeyPair();
    const terms = leaseRequest(driver);
    const response = await lease(assetId, terms);
    expect(response.status).toBe(201);
    const { transactionId } = response.body as { transactionId: string };
    const transfer = (await app.services.bigchainDb.getTransaction(transactionId)) as {
      metadata: unknown;
      outputs: { public_keys: string[]; condition: { details: unknown } }[];
    };
    expect(transfer.metadata).toEqual({
      kind: 'lease',
      driver: terms.driver,
      lease: { startDate: terms.startDate, endDate: terms.endDate, yearlyMileageKm: terms.yearlyMileageKm },
    });
    expect(transfer.outputs).toHaveLength(1);
    expect(transfer.outputs[0]?.public_keys).toEqual([driver.publicKey, app.company.publicKey]);
    expect(transfer.outputs[0]?.condition.details).toMatchObject({ type: 'threshold-sha-256', threshold: 1 });
  });

  it('answers 409 when the car is leased already, and 404 for an unknown car', async () => {
    const assetId = await registeredCar();
    expect((await lease(assetId, leaseRequest(generateKeyPair()))).status).toBe(201);
    const second = await lease(assetId, leaseRequest(generateKeyPair()));
    expect(second).toMatchObject({
      status: 409,
      body: { error: { code: 'CAR_ALREADY_LEASED', message: `car ${assetId} is already leased` } },
    });
    const unknown = await lease('0'.repeat(64), leaseRequest(generateKeyPair()));
    expect(unknown).toMatchObject({
      status: 404,
      body: { error: { code: 'NOT_FOUND', message: `car ${'0'.repeat(64)} was not found` } },
    });
  });

  it('lets only one of two concurrent leases of the same car through', async () => {
    const assetId = await registeredCar();
    const results = await Promise.all([
      lease(assetId, leaseRequest(generateKeyPair())),
      lease(assetId, leaseRequest(generateKeyPair())),
    ]);
    expect(results.map(({ status }) => status).sort()).toEqual([201, 409]);
  });

  it('answers 400 when the lease ends before it starts', async () => {
    const assetId = await registeredCar();
    const response = await lease(
      assetId,
      leaseRequest(generateKeyPair(), { startDate: '2027-01-01', endDate: '2026-12-31' }),
    );
    expect(response).toMatchObject({ status: 400, body: { error: { field: '/endDate', rule: 'after-start-date' } } });
  });
});

describe('POST /api/cars/{assetId}/returns', () => {
  it('moves the car back to the company alone, after which it can be leased again', async () => {
    const assetId = await registeredCar();
    await lease(assetId, leaseRequest(generateKeyPair()));
    const response = await returnIt(assetId, { returnedOn: '2027-03-01', odometerKm: 21_000 });
    expect(response.status).toBe(201);
    const { transactionId } = response.body as { transactionId: string };
    const transfer = (await app.services.bigchainDb.getTransaction(transactionId)) as {
      metadata: unknown;
      outputs: { public_keys: string[] }[];
    };
    expect(transfer.metadata).toEqual({ kind: 'return', returnedOn: '2027-03-01', odometerKm: 21_000 });
    expect(transfer.outputs.map(({ public_keys }) => public_keys)).toEqual([[app.company.publicKey]]);
    expect((await lease(assetId, leaseRequest(generateKeyPair()))).status).toBe(201);
  });

  it('accepts an empty body, dating the return today', async () => {
    const assetId = await registeredCar();
    await lease(assetId, leaseRequest(generateKeyPair()));
    const response = await returnIt(assetId);
    expect(response.status).toBe(201);
    expect((response.body as { returned: { returnedOn: string } }).returned.returnedOn).toBe(
      new Date().toISOString().slice(0, 10),
    );
  });

  it('answers 409 when the car is not leased', async () => {
    const assetId = await registeredCar();
    expect(await returnIt(assetId)).toMatchObject({ status: 409, body: { error: { code: 'CAR_NOT_LEASED' } } });
  });
});

describe('GET /api/cars/{assetId}', () => {
  it('shows the car with its history in height order and who holds it', async () => {
    const car = carRegistration();
    const assetId = (await register(car)).body as { assetId: string };
    const first = generateKeyPair();
    const second = generateKeyPair();
    await lease(assetId.assetId, leaseRequest(first));
    await returnIt(assetId.assetId, { returnedOn: '2026-06-30' });
    await lease(assetId.assetId, leaseRequest(second));
    const response = await get(assetId.assetId);
    expect(response.status).toBe(200);
    const body = response.body as {
      car: unknown;
      status: string;
      lessee: unknown;
      history: { kind: string; height: number }[];
      policy: unknown;
    };
    expect(body.car).toEqual({ kind: 'car', schemaVersion: 1, ...car });
    expect(body.status).toBe('leased');
    expect(body.lessee).toEqual(leaseRequest(second).driver);
    expect(body.history.map(({ kind }) => kind)).toEqual(['registered', 'leased', 'returned', 'leased']);
    const heights = body.history.map(({ height }) => height);
    expect(heights).toEqual([...heights].sort((a, b) => a - b));
    expect(body.policy).toBeNull();
  });

  it('answers 400 for an asset id that is not 64 hex characters', async () => {
    expect(await get('not-an-id')).toEqual({
      status: 400,
      headers: expect.anything(),
      body: {
        error: {
          code: 'VALIDATION_FAILED',
          message: 'assetId must be a transaction id: 64 lowercase hex characters',
          field: 'assetId',
          rule: 'pattern',
        },
      },
    });
  });
});
