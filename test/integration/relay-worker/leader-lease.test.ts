import { once } from 'node:events';

import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';

import { type LocalStorage, startLocalStorage } from '../../../dev/azurite/local-storage';
import {
  createLeaderLease,
  type LeaderLease,
  type LeaderLeaseLogEntry,
  type LeaderLeaseOptions,
  readLeaseHolder,
} from '../../../relay-worker/leader-lease';
import { LeaseLostError } from '../../../shared/relay-errors';

// Helpers stay in this file: the brief for this suite allows no file under test/helpers/.

const ISO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const LOCK = 'relay/leader.lock';

interface Instance {
  readonly lease: LeaderLease;
  readonly logs: LeaderLeaseLogEntry[];
  /** Resolves with the first log entry (past or future) whose message matches. */
  logged(pattern: RegExp): Promise<LeaderLeaseLogEntry>;
}

let storage: LocalStorage;
let service: BlobServiceClient;
let containers = 0;
const instances: Instance[] = [];

beforeAll(async () => {
  storage = await startLocalStorage();
  service = BlobServiceClient.fromConnectionString(storage.connectionString);
});

afterEach(async () => {
  await Promise.all(instances.splice(0).map(({ lease }) => lease.release()));
});

afterAll(async () => {
  await storage.close();
});

/** A container of its own for each test; not created, so that the lease has to create it. */
function freshContainer(): ContainerClient {
  containers += 1;
  return service.getContainerClient(`lease-${containers}`);
}

function instance(
  container: ContainerClient,
  instanceId: string,
  overrides: Partial<LeaderLeaseOptions> = {},
): Instance {
  const logs: LeaderLeaseLogEntry[] = [];
  const waiters: { pattern: RegExp; resolve(entry: LeaderLeaseLogEntry): void }[] = [];
  const log = (entry: LeaderLeaseLogEntry): void => {
    logs.push(entry);
    for (const waiter of waiters.filter(({ pattern }) => pattern.test(entry.msg))) {
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve(entry);
    }
  };
  const lease = createLeaderLease({
    container,
    blobName: LOCK,
    leaseDurationSeconds: 15,
    retryIntervalMs: 200,
    instanceId,
    log,
    ...overrides,
  });
  const created: Instance = {
    lease,
    logs,
    logged: (pattern) => {
      const past = logs.find((entry) => pattern.test(entry.msg));
      return past === undefined ? new Promise((resolve) => waiters.push({ pattern, resolve })) : Promise.resolve(past);
    },
  };
  instances.push(created);
  return created;
}

/** Whether `promise` has settled, once everything already queued has run. */
async function settlement(promise: Promise<unknown>): Promise<'pending' | 'resolved' | 'rejected'> {
  const later = new Promise<'pending'>((resolve) => setImmediate(() => resolve('pending')));
  return Promise.race([
    promise.then(
      () => 'resolved' as const,
      () => 'rejected' as const,
    ),
    later,
  ]);
}

describe('#acquire', () => {
  it('one of two instances acquires the lease and the other stands by', async () => {
    const container = freshContainer();
    const a = instance(container, 'relay-a');
    const b = instance(container, 'relay-b');

    await a.lease.acquire();
    const bAcquired = b.lease.acquire();

    expect(await b.logged(/^standing by/)).toEqual({
      level: 'info',
      msg: 'standing by: the leader lease is held by another instance',
      instanceId: 'relay-b',
      location: `${container.containerName}/${LOCK}`,
      holder: 'relay-a',
    });
    expect(await settlement(bAcquired)).toBe('pending');
    expect([a.lease.isHeld, b.lease.isHeld]).toEqual([true, false]);
    expect(a.logs.map(({ msg }) => msg)).toEqual(['created the leader lock blob', 'acquired the leader lease']);

    await b.lease.release();
    await expect(bAcquired).rejects.toMatchObject({
      code: 'RELAY_LEASE_LOST',
      kind: 'released',
      instanceId: 'relay-b',
    });
    expect(a.lease.isHeld).toBe(true);
  });

  it('releasing hands the lease to the standby within its retry interval', async () => {
    const container = freshContainer();
    const a = instance(container, 'relay-a');
    const b = instance(container, 'relay-b', { retryIntervalMs: 200 });
    await a.lease.acquire();
    const bAcquired = b.lease.acquire();
    await b.logged(/^standing by/);

    const releasedAt = performance.now();
    await a.lease.release();
    await bAcquired;

    expect(performance.now() - releasedAt).toBeLessThan(200 + 500);
    expect([a.lease.isHeld, b.lease.isHeld]).toEqual([false, true]);
    expect(await readLeaseHolder(container, LOCK)).toEqual({
      state: 'leased',
      instanceId: 'relay-b',
      acquiredAt: expect.stringMatching(ISO_TIME),
    });
  });

  it("rejects with the signal's reason when the signal aborts while standing by", async () => {
    const container = freshContainer();
    const a = instance(container, 'relay-a');
    const b = instance(container, 'relay-b');
    await a.lease.acquire();
    const controller = new AbortController();
    const bAcquired = b.lease.acquire(controller.signal);
    await b.logged(/^standing by/);

    const reason = new Error('shutting down');
    controller.abort(reason);

    await expect(bAcquired).rejects.toBe(reason);
    expect(b.lease.isHeld).toBe(false);
    expect(b.lease.lost.aborted).toBe(false);
  });

  it.each([14, 61, 20.5])('refuses a lease duration of %p seconds', (leaseDurationSeconds) => {
    expect(() => instance(freshContainer(), 'relay-a', { leaseDurationSeconds })).toThrow(
      new RangeError(`leaseDurationSeconds must be an integer from 15 to 60, got ${leaseDurationSeconds}`),
    );
  });
});

describe('#release', () => {
  it('is idempotent, aborts lost with kind released, and ends the term for good', async () => {
    const container = freshContainer();
    const a = instance(container, 'relay-a');
    await a.lease.acquire();

    await Promise.all([a.lease.release(), a.lease.release()]);

    expect(a.lease.isHeld).toBe(false);
    expect(a.lease.lost.reason).toBeInstanceOf(LeaseLostError);
    expect(a.lease.lost.reason).toMatchObject({
      name: 'LeaseLostError',
      code: 'RELAY_LEASE_LOST',
      location: `${container.containerName}/${LOCK}`,
      instanceId: 'relay-a',
      kind: 'released',
      message: `leader lease "${container.containerName}/${LOCK}" held by relay-a was released by its holder`,
    });
    await expect(a.lease.acquire()).rejects.toBe(a.lease.lost.reason);
    expect((await readLeaseHolder(container, LOCK)).state).toBe('available');
  });
});

describe('readLeaseHolder', () => {
  it('reports available with no holder when the lock blob does not exist', async () => {
    expect(await readLeaseHolder(freshContainer(), LOCK)).toEqual({ state: 'available' });
  });

  it('names the holder while leased, and the last holder once released', async () => {
    const container = freshContainer();
    const a = instance(container, 'relay é/1');
    await a.lease.acquire();

    const leased = await readLeaseHolder(container, LOCK);
    await a.lease.release();

    expect(leased).toEqual({ state: 'leased', instanceId: 'relay é/1', acquiredAt: expect.stringMatching(ISO_TIME) });
    expect(await readLeaseHolder(container, LOCK)).toEqual({ ...leased, state: 'available' });
  });
});

describe('#lost', () => {
  it('aborts with kind taken at the next renewal after another party breaks the lease', async () => {
    const container = freshContainer();
    const a = instance(container, 'relay-a');
    await a.lease.acquire();

    await container.getBlobClient(LOCK).getBlobLeaseClient().breakLease(0);
    await once(a.lease.lost, 'abort');

    expect(a.lease.isHeld).toBe(false);
    expect(a.lease.lost.reason).toBeInstanceOf(LeaseLostError);
    expect(a.lease.lost.reason).toMatchObject({
      code: 'RELAY_LEASE_LOST',
      instanceId: 'relay-a',
      kind: 'taken',
      message: `leader lease "${container.containerName}/${LOCK}" held by relay-a was taken by another party`,
    });
    expect(a.logs.at(-1)).toEqual({
      level: 'error',
      msg: `leader lease "${container.containerName}/${LOCK}" held by relay-a was taken by another party`,
      instanceId: 'relay-a',
      location: `${container.containerName}/${LOCK}`,
      kind: 'taken',
      error: expect.stringMatching(
        /^The lease ID matched, but the lease has been broken explicitly and cannot be renewed\./,
      ),
    });
  }, 10_000);
});

describe('on expiry', () => {
  // The one test that waits out a real lease: Azure's shortest is 15 s.
  it('a holder that stops renewing is taken over once its lease expires, while a renewing holder keeps its own', async () => {
    const alive = freshContainer();
    const c = instance(alive, 'relay-c');
    await c.lease.acquire();

    const dead = freshContainer();
    await dead.create();
    const lockBlob = dead.getBlockBlobClient(LOCK);
    await lockBlob.upload('', 0);
    await lockBlob.getBlobLeaseClient().acquireLease(15);
    const deadAcquiredAt = performance.now();
    const b = instance(dead, 'relay-b', { retryIntervalMs: 250 });

    await b.lease.acquire();

    expect(performance.now() - deadAcquiredAt).toBeGreaterThanOrEqual(14_500);
    expect(b.logs.filter(({ msg }) => /^standing by/.test(msg))).toEqual([
      expect.objectContaining({ holder: undefined }),
    ]);
    expect(await readLeaseHolder(dead, LOCK)).toEqual({
      state: 'leased',
      instanceId: 'relay-b',
      acquiredAt: expect.stringMatching(ISO_TIME),
    });
    // relay-c acquired before the dead lease and has now held its own for more than 15 s by renewing.
    expect([c.lease.isHeld, c.lease.lost.aborted]).toEqual([true, false]);
    expect((await readLeaseHolder(alive, LOCK)).state).toBe('leased');
  }, 25_000);
});
