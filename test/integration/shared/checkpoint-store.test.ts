import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';

import { DEV_ACCOUNT_NAME, type LocalStorage, startLocalStorage } from '../../../dev/azurite/local-storage';
import { BlobCheckpointStore } from '../../../shared/blob-checkpoint-store';
import { type CheckpointStore, MemoryCheckpointStore, openCheckpointer } from '../../../shared/checkpoint';
import {
  CheckpointConflictError,
  CheckpointCorruptError,
  CheckpointUnavailableError,
} from '../../../shared/relay-errors';

// The contract suite stays in this file: the brief for this suite allows no file under test/helpers/.

/** A fresh, empty store and the location its errors name. */
interface StoreFixture {
  readonly store: CheckpointStore;
  readonly location: string;
}

/** What `promise` rejects with; fails the test when it resolves. */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    (value: unknown) => {
      throw new Error(`expected a rejection, got ${JSON.stringify(value)}`);
    },
    (error: unknown) => error,
  );
}

const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The contract every {@link CheckpointStore} keeps, and the {@link openCheckpointer} behaviour on top of it. */
function describeCheckpointStoreContract(name: string, makeStore: () => Promise<StoreFixture>): void {
  describe(name, () => {
    let store: CheckpointStore;
    let location: string;

    beforeEach(async () => {
      ({ store, location } = await makeStore());
    });

    describe('#read', () => {
      it('reads undefined before anything was written', async () => {
        expect(await store.read()).toBeUndefined();
      });

      it('reads back the height and the version of the last write', async () => {
        const first = await store.write(7, undefined);
        expect(await store.read()).toEqual({ height: 7, version: first });
        const second = await store.write(8, first);
        expect(await store.read()).toEqual({ height: 8, version: second });
        expect(second).not.toBe(first);
      });

      it('rejects with an AbortError when the signal is already aborted', async () => {
        const controller = new AbortController();
        controller.abort();
        expect(await rejection(store.read(controller.signal))).toMatchObject({ name: 'AbortError' });
      });
    });

    describe('#write', () => {
      it('a write guarded by a stale version throws CheckpointConflictError and changes nothing', async () => {
        const stale = await store.write(7, undefined);
        const current = await store.write(8, stale);

        const error = await rejection(store.write(9, stale));

        expect(error).toBeInstanceOf(CheckpointConflictError);
        expect(error).toMatchObject({
          name: 'CheckpointConflictError',
          code: 'RELAY_CHECKPOINT_CONFLICT',
          location,
          expectedVersion: stale,
        });
        expect((error as Error).message).toMatch(
          new RegExp(
            `^checkpoint "${escape(location)}": write refused, the stored version is no longer ${escape(stale)}$`,
          ),
        );
        expect(await store.read()).toEqual({ height: 8, version: current });
      });

      it('a first write after someone else wrote first throws CheckpointConflictError', async () => {
        const theirs = await store.write(3, undefined);

        const error = await rejection(store.write(5, undefined));

        expect(error).toBeInstanceOf(CheckpointConflictError);
        expect(error).toMatchObject({ code: 'RELAY_CHECKPOINT_CONFLICT', location, expectedVersion: undefined });
        expect((error as Error).message).toBe(
          `checkpoint "${location}": first write refused, a checkpoint was stored by another writer`,
        );
        expect(await store.read()).toEqual({ height: 3, version: theirs });
      });

      it.each([-1, 1.5, Number.NaN, 2 ** 53])('refuses height %p with a RangeError', async (height) => {
        const error = await rejection(store.write(height, undefined));
        expect(error).toBeInstanceOf(RangeError);
        expect((error as Error).message).toBe(`height must be a non-negative safe integer, got ${String(height)}`);
        expect(await store.read()).toBeUndefined();
      });
    });

    describe('openCheckpointer', () => {
      it('has no height when nothing is stored, so the relay uses its configured start height', async () => {
        const checkpointer = await openCheckpointer(store);
        expect(checkpointer.getHeight()).toBeUndefined();
      });

      it('checkpointing block 7 is durable once it resolves: a fresh checkpointer resumes from 7', async () => {
        const checkpointer = await openCheckpointer(store);
        await checkpointer.checkpointHeight(7);

        expect(checkpointer.getHeight()).toBe(7);
        expect((await openCheckpointer(store)).getHeight()).toBe(7);
        expect(await store.read()).toEqual({ height: 7, version: expect.any(String) });
      });

      it('never moves backwards: a lower or equal height is ignored without a write', async () => {
        const checkpointer = await openCheckpointer(store);
        await checkpointer.checkpointHeight(7);
        const stored = await store.read();

        await checkpointer.checkpointHeight(3);
        await checkpointer.checkpointHeight(7);

        expect(checkpointer.getHeight()).toBe(7);
        expect(await store.read()).toEqual(stored);
      });

      it('continues from a stored checkpoint with the version it loaded', async () => {
        const earlier = await openCheckpointer(store);
        await earlier.checkpointHeight(4);

        const later = await openCheckpointer(store);
        expect(later.getHeight()).toBe(4);
        await later.checkpointHeight(5);

        expect((await openCheckpointer(store)).getHeight()).toBe(5);
      });

      it('concurrent checkpoints are written one after another and leave the highest stored', async () => {
        const checkpointer = await openCheckpointer(store);

        await Promise.all([1, 2, 5, 3, 4].map((height) => checkpointer.checkpointHeight(height)));

        expect(checkpointer.getHeight()).toBe(5);
        expect((await store.read())?.height).toBe(5);
      });

      it('a checkpointer whose store was written by another fails with CheckpointConflictError and keeps its height', async () => {
        const mine = await openCheckpointer(store);
        await mine.checkpointHeight(2);
        const theirs = await openCheckpointer(store);
        await theirs.checkpointHeight(6);

        const error = await rejection(mine.checkpointHeight(3));

        expect(error).toBeInstanceOf(CheckpointConflictError);
        expect(error).toMatchObject({ code: 'RELAY_CHECKPOINT_CONFLICT', location });
        expect(mine.getHeight()).toBe(2);
        expect((await store.read())?.height).toBe(6);
      });

      it('rejects a height that is not a non-negative safe integer and stores nothing', async () => {
        const checkpointer = await openCheckpointer(store);

        const error = await rejection(checkpointer.checkpointHeight(-2));

        expect(error).toBeInstanceOf(RangeError);
        expect((error as Error).message).toBe('height must be a non-negative safe integer, got -2');
        expect(await store.read()).toBeUndefined();
      });
    });
  });
}

let storage: LocalStorage;
let service: BlobServiceClient;
let containers = 0;

beforeAll(async () => {
  storage = await startLocalStorage();
  service = BlobServiceClient.fromConnectionString(storage.connectionString);
});

afterAll(async () => {
  await storage.close();
});

/** A container name of its own for each test (created only when `create`). */
async function freshContainer(create = true): Promise<ContainerClient> {
  containers += 1;
  const container = service.getContainerClient(`relay-${containers}`);
  if (create) await container.create();
  return container;
}

describeCheckpointStoreContract('MemoryCheckpointStore', () =>
  Promise.resolve({ store: new MemoryCheckpointStore({ location: 'memory-test' }), location: 'memory-test' }),
);

describeCheckpointStoreContract('BlobCheckpointStore', async () => {
  const container = await freshContainer();
  return {
    store: new BlobCheckpointStore({ container, blobName: 'relay/checkpoint.json' }),
    location: `${container.containerName}/relay/checkpoint.json`,
  };
});

describe('BlobCheckpointStore on Azurite', () => {
  const blobName = 'relay/checkpoint.json';

  async function corruptWith(content: string): Promise<{ store: BlobCheckpointStore; location: string }> {
    const container = await freshContainer();
    await container.getBlockBlobClient(blobName).upload(content, Buffer.byteLength(content));
    return {
      store: new BlobCheckpointStore({ container, blobName }),
      location: `${container.containerName}/${blobName}`,
    };
  }

  it('stores the height and the time as a JSON document', async () => {
    const container = await freshContainer();
    const store = new BlobCheckpointStore({ container, blobName, now: () => new Date('2024-05-01T10:20:30.456Z') });

    const version = await store.write(42, undefined);

    const blob = container.getBlockBlobClient(blobName);
    const properties = await blob.getProperties();
    expect(properties.etag).toBe(version);
    expect(properties.contentType).toBe('application/json');
    expect(JSON.parse((await blob.downloadToBuffer()).toString('utf8'))).toEqual({
      height: 42,
      updatedAt: '2024-05-01T10:20:30.456Z',
    });
  });

  it('reads undefined while the container is missing and creates it on the first write', async () => {
    const container = await freshContainer(false);
    const store = new BlobCheckpointStore({ container, blobName });

    expect(await store.read()).toBeUndefined();
    const version = await store.write(1, undefined);

    expect(await container.exists()).toBe(true);
    expect(await store.read()).toEqual({ height: 1, version });
  });

  it('a write guarded by a version after the blob was deleted throws CheckpointConflictError', async () => {
    const container = await freshContainer();
    const store = new BlobCheckpointStore({ container, blobName });
    const version = await store.write(1, undefined);
    await container.getBlockBlobClient(blobName).delete();

    const error = await rejection(store.write(2, version));

    expect(error).toBeInstanceOf(CheckpointConflictError);
    expect(error).toMatchObject({
      code: 'RELAY_CHECKPOINT_CONFLICT',
      location: `${container.containerName}/${blobName}`,
      expectedVersion: version,
    });
  });

  it.each([
    ['text that is not JSON', 'height=7', 'not JSON'],
    ['an empty blob', '', 'not JSON'],
    ['a JSON array', '[7]', 'must be a JSON object'],
    [
      'a negative height',
      '{"height":-1,"updatedAt":"2024-05-01T00:00:00.000Z"}',
      '/height must be a non-negative safe integer',
    ],
    [
      'a height as a string',
      '{"height":"7","updatedAt":"2024-05-01T00:00:00.000Z"}',
      '/height must be a non-negative safe integer',
    ],
    ['no updatedAt', '{"height":7}', '/updatedAt must be a string'],
  ])('reading %s throws CheckpointCorruptError naming the blob and the rule', async (_what, content, reason) => {
    const { store, location } = await corruptWith(content);

    const error = await rejection(store.read());

    expect(error).toBeInstanceOf(CheckpointCorruptError);
    expect(error).toMatchObject({ name: 'CheckpointCorruptError', code: 'RELAY_CHECKPOINT_CORRUPT', location, reason });
    expect((error as Error).message).toBe(`checkpoint "${location}" is corrupt: ${reason}`);
  });

  it('openCheckpointer rejects a corrupt checkpoint instead of starting from the configured start', async () => {
    const { store } = await corruptWith('{"height":');

    expect(await rejection(openCheckpointer(store))).toMatchObject({
      code: 'RELAY_CHECKPOINT_CORRUPT',
      reason: 'not JSON',
    });
  });

  it.each(['read', 'write'] as const)(
    'a %s refused by storage throws CheckpointUnavailableError with the status',
    async (operation) => {
      const container = await freshContainer();
      const wrongKey = Buffer.from('not the account key').toString('base64');
      const intruder = BlobServiceClient.fromConnectionString(
        `DefaultEndpointsProtocol=http;AccountName=${DEV_ACCOUNT_NAME};AccountKey=${wrongKey};BlobEndpoint=${storage.blobEndpoint};`,
      ).getContainerClient(container.containerName);
      const store = new BlobCheckpointStore({ container: intruder, blobName });

      const error = await rejection(operation === 'read' ? store.read() : store.write(1, undefined));

      expect(error).toBeInstanceOf(CheckpointUnavailableError);
      expect(error).toMatchObject({
        name: 'CheckpointUnavailableError',
        code: 'RELAY_CHECKPOINT_UNAVAILABLE',
        location: `${container.containerName}/${blobName}`,
        operation,
        status: 403,
      });
      expect((error as Error).message).toMatch(
        new RegExp(
          `^checkpoint "${escape(container.containerName)}/relay/checkpoint\\.json": ${operation} failed \\(HTTP 403\\): `,
        ),
      );
    },
  );
});
