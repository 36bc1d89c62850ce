import { registerCar } from '../../../functions/register-car';
import type { Services } from '../../../functions/services';
import { VIN_RESERVATION_STALE_MS } from '../../../functions/vin-reservation';
import { type AssetMatch, BigchainDbClient } from '../../../shared/bigchaindb-client';
import { carRegistrationTransaction } from '../../../shared/leasing/car-transactions';
import { type CarRegistration, readCarAsset } from '../../../shared/leasing/schemas';
import { createVinReservationStore } from '../../../shared/vin-reservation-store';
import { startTestNode } from '../../helpers/dev-node';
import { type AppFixture, callHttp, startAppFixture, type TestResponse } from '../../helpers/functions-app';
import { carRegistration } from '../../helpers/leasing-data';

// Registrations of one VIN race between the chain check and the commit; the VIN's row in Table `vinreservations`
// lets one through (functions/vin-reservation.ts). Against the real dev node and Azurite; where a test needs the
// node to behave in a way the app cannot provoke, a BigchainDbClient subclass changes that one method, and says why.

let app: AppFixture;

beforeAll(async () => {
  app = await startAppFixture();
});

afterAll(() => app.close());

let blocksHeld = false;

afterEach(async () => {
  if (!blocksHeld) return;
  blocksHeld = false;
  app.node.blocks.release();
  // The block after a release takes in or follows everything pending: once a new car commits, the held one has.
  expect((await register(carRegistration())).status).toBe(201);
});

/** Keeps the dev node from making blocks until the test ends, so that what is posted stays pending. */
function holdBlocks(): void {
  blocksHeld = true;
  app.node.blocks.hold();
}

const register = (body: CarRegistration, services: Partial<Services> = {}): Promise<TestResponse> =>
  callHttp(registerCar({ ...app.services, ...services }), { body });

/** The committed car assets with this VIN, by asset id. */
async function carsOnChain(vin: string): Promise<string[]> {
  const matches = await app.services.bigchainDb.searchAssets(vin, 50);
  return matches.filter(({ data }) => readCarAsset(data)?.vin === vin).map(({ id }) => id);
}

/** The transaction id the VIN's reservation row names, or `undefined` when there is no row. */
async function reservedTransaction(vin: string): Promise<string | undefined> {
  try {
    return (await app.services.vinReservations.getEntity<{ transactionId: string }>(vin, vin)).transactionId;
  } catch (error: unknown) {
    if ((error as { statusCode?: number }).statusCode === 404) return undefined;
    throw error;
  }
}

/** The CREATE the handler builds for this registration (deterministic: no nonce, no time). */
function registrationTransactionId(car: CarRegistration): string {
  return carRegistrationTransaction({ kind: 'car', schemaVersion: 1, ...car }, app.company).id;
}

function inProgressBody(vin: string, transactionId: string): unknown {
  return {
    error: {
      code: 'CAR_REGISTRATION_IN_PROGRESS',
      message: `a registration of the car with VIN ${vin} is in progress as ${transactionId}; try again later`,
    },
  };
}

/**
 * A client whose asset search never finds anything, as if the car committed after the chain check ran: the
 * window between the check and the reservation, which no request can be made to hit on purpose.
 */
class SearchMissesClient extends BigchainDbClient {
  override searchAssets(): Promise<AssetMatch[]> {
    return Promise.resolve([]);
  }
}

/**
 * A client that corrupts the transaction's id on the way, so that the real node refuses it with a 400 (InvalidHash):
 * the app signs only valid CREATEs, so no registration of its own is ever refused otherwise.
 */
class CorruptingClient extends BigchainDbClient {
  override postTransaction(transaction: unknown, mode: 'async' | 'sync' | 'commit'): Promise<unknown> {
    return super.postTransaction({ ...(transaction as object), id: 'f'.repeat(64) }, mode);
  }
}

/** A client whose posts go to a node that is gone (connection refused), its reads to the live node. */
class PostUnreachableClient extends BigchainDbClient {
  constructor(
    apiUrl: string,
    private readonly gone: BigchainDbClient,
  ) {
    super({ apiUrl });
  }

  override postTransaction(transaction: unknown, mode: 'async' | 'sync' | 'commit'): Promise<unknown> {
    return this.gone.postTransaction(transaction, mode);
  }
}

describe('concurrent registrations of one VIN', () => {
  it('let exactly one of eight with differing details commit; the others answer 409', async () => {
    const car = carRegistration();
    const responses = await Promise.all(
      Array.from({ length: 8 }, (_, index) => register({ ...car, model: `ID.4 Pro variant ${index}` })),
    );
    expect(responses.map(({ status }) => status).sort()).toEqual([201, 409, 409, 409, 409, 409, 409, 409]);
    const winner = responses.find(({ status }) => status === 201)?.body as { assetId: string };
    for (const { body } of responses.filter(({ status }) => status === 409)) {
      expect(body).toEqual({
        error: expect.objectContaining({
          code: expect.stringMatching(/^(CAR_ALREADY_REGISTERED|CAR_REGISTRATION_IN_PROGRESS)$/),
          message: expect.stringMatching(new RegExp(`^a (car|registration of the car) with VIN ${car.vin} is `)),
        }),
      });
    }
    expect(await carsOnChain(car.vin)).toEqual([winner.assetId]);
    expect(await reservedTransaction(car.vin)).toBe(winner.assetId);
  });

  it('commit byte-identical ones once: each answers 201 or, while the other is pending, 409 in progress', async () => {
    const car = carRegistration();
    const assetId = registrationTransactionId(car);
    const responses = await Promise.all([register(car), register(car)]);
    expect(responses.some(({ status }) => status === 201)).toBe(true);
    for (const response of responses) {
      if (response.status === 201) expect(response.body).toEqual({ assetId, vin: car.vin });
      else expect(response).toMatchObject({ status: 409, body: inProgressBody(car.vin, assetId) });
    }
    expect(await carsOnChain(car.vin)).toEqual([assetId]);
  });
});

describe('a reservation whose transaction never committed', () => {
  async function abandonedReservation(car: CarRegistration, reservedAt: Date): Promise<string> {
    const abandoned = registrationTransactionId({ ...car, model: 'Abandoned' });
    const held = await createVinReservationStore(app.services.vinReservations).reserve({
      vin: car.vin,
      transactionId: abandoned,
      reservedAt,
    });
    expect(held).toBeUndefined();
    return abandoned;
  }

  it('is taken over by a new registration once it is older than the stale bound', async () => {
    const car = carRegistration();
    const reservedAt = new Date('2026-03-01T09:00:00.000Z');
    await abandonedReservation(car, reservedAt);
    const now = (): Date => new Date(reservedAt.getTime() + VIN_RESERVATION_STALE_MS);
    const response = await register(car, { now });
    expect(response.status).toBe(201);
    const { assetId } = response.body as { assetId: string };
    expect(await carsOnChain(car.vin)).toEqual([assetId]);
    expect(await reservedTransaction(car.vin)).toBe(assetId);
  });

  it('answers 409 in progress naming the VIN while younger than the stale bound, and commits nothing', async () => {
    const car = carRegistration();
    const reservedAt = new Date('2026-03-01T09:00:00.000Z');
    const abandoned = await abandonedReservation(car, reservedAt);
    const heightBefore = app.node.latestHeight;
    const now = (): Date => new Date(reservedAt.getTime() + VIN_RESERVATION_STALE_MS - 1);
    const response = await register(car, { now });
    expect(response).toMatchObject({ status: 409, body: inProgressBody(car.vin, abandoned) });
    expect(app.node.latestHeight).toBe(heightBefore);
    expect(await reservedTransaction(car.vin)).toBe(abandoned);
  });
});

describe('a registration whose post failed without an answer', () => {
  it('keeps the VIN reserved: other details get 409 in progress, the identical retry commits and answers 201', async () => {
    const gone = await startTestNode();
    await gone.close();
    const bigchainDb = new PostUnreachableClient(
      app.settings.bigchainDbApiUrl,
      new BigchainDbClient({ apiUrl: gone.apiUrl }),
    );
    const car = carRegistration();
    const assetId = registrationTransactionId(car);

    const failed = await register(car, { bigchainDb });
    expect(failed).toMatchObject({ status: 503, body: { error: { code: 'UPSTREAM_FAILED' } } });
    expect(await reservedTransaction(car.vin)).toBe(assetId);

    const other = await register({ ...car, model: 'Another model' });
    expect(other).toMatchObject({ status: 409, body: inProgressBody(car.vin, assetId) });

    const retried = await register(car);
    expect(retried).toMatchObject({ status: 201, body: { assetId, vin: car.vin } });
    expect(await carsOnChain(car.vin)).toEqual([assetId]);
  });
});

describe('a retry that finds its own reservation', () => {
  it('answers 201 when its transaction committed after the chain check (the node says it exists)', async () => {
    const car = carRegistration();
    const first = await register(car);
    expect(first.status).toBe(201);
    const bigchainDb = new SearchMissesClient({ apiUrl: app.settings.bigchainDbApiUrl });
    const heightBefore = app.node.latestHeight;
    expect(await register(car, { bigchainDb })).toEqual({ ...first, headers: expect.anything() });
    expect(app.node.latestHeight).toBe(heightBefore);
  });

  it('answers 409 in progress while the node holds the same transaction pending (Tx already exists in cache)', async () => {
    const car = carRegistration();
    const transaction = carRegistrationTransaction({ kind: 'car', schemaVersion: 1, ...car }, app.company);
    holdBlocks();
    await app.services.bigchainDb.postTransaction(transaction, 'sync');
    expect(await register(car)).toMatchObject({ status: 409, body: inProgressBody(car.vin, transaction.id) });
    expect(await reservedTransaction(car.vin)).toBe(transaction.id);
  });

  it('answers 409 CAR_ALREADY_REGISTERED when other details find the reservation of a committed car', async () => {
    const car = carRegistration();
    const { assetId } = (await register(car)).body as { assetId: string };
    const bigchainDb = new SearchMissesClient({ apiUrl: app.settings.bigchainDbApiUrl });
    expect(await register({ ...car, model: 'Another model' }, { bigchainDb })).toMatchObject({
      status: 409,
      body: {
        error: {
          code: 'CAR_ALREADY_REGISTERED',
          message: `a car with VIN ${car.vin} is already registered as ${assetId}`,
        },
      },
    });
    expect(await carsOnChain(car.vin)).toEqual([assetId]);
  });

  it('answers 409 CAR_ALREADY_REGISTERED to an identical request once the car is on the chain, as before', async () => {
    const car = carRegistration();
    const { assetId } = (await register(car)).body as { assetId: string };
    expect(await register(car)).toMatchObject({
      status: 409,
      body: { error: { code: 'CAR_ALREADY_REGISTERED' } },
    });
    expect(await carsOnChain(car.vin)).toEqual([assetId]);
  });
});

describe('a registration the node refuses', () => {
  it('frees the VIN, so that the next registration of it commits', async () => {
    const car = carRegistration();
    const bigchainDb = new CorruptingClient({ apiUrl: app.settings.bigchainDbApiUrl });
    const refused = await register(car, { bigchainDb });
    expect(refused).toMatchObject({
      status: 400,
      body: {
        error: {
          code: 'TRANSACTION_REJECTED',
          message: expect.stringMatching(/^Invalid transaction \(InvalidHash\): The transaction's id 'f{64}' isn't/),
        },
      },
    });
    expect(await reservedTransaction(car.vin)).toBeUndefined();

    const response = await register({ ...car, model: 'Another model' });
    expect(response.status).toBe(201);
    expect(await carsOnChain(car.vin)).toEqual([(response.body as { assetId: string }).assetId]);
  });
});
