import { randomUUID } from 'node:crypto';

import { BlobServiceClient } from '@azure/storage-blob';

import { type LocalStorage, startLocalStorage } from '../../../dev/azurite/local-storage';
import { BlobCheckpointStore } from '../../../shared/blob-checkpoint-store';
import { type CheckpointStore, MemoryCheckpointStore, openCheckpointer } from '../../../shared/checkpoint';
import { CheckpointConflictError, CheckpointUnavailableError } from '../../../shared/relay-errors';

// A checkpoint write whose reply is lost although storage stored it (storage going away mid-request, a timeout, or
// the SDK retrying a conditional write that its first try had already applied, which then answers 412). Found by
// relay-faults.test.ts "storage unavailable": the checkpointer kept the old version and every later write
// conflicted, so the checkpoint stopped moving for the life of the process.

let storage: LocalStorage;

beforeAll(async () => {
  storage = await startLocalStorage();
});

afterAll(async () => {
  await storage.close();
});

/** What `promise` rejects with; fails the test when it resolves. */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    (value: unknown) => {
      throw new Error(`expected a rejection, got ${JSON.stringify(value)}`);
    },
    (error: unknown) => error,
  );
}

/** `store`, except that the next write (when armed) is stored but then fails as `failure()` says. */
function losingReplies(store: CheckpointStore): CheckpointStore & { loseNextReply(failure: () => Error): void } {
  let lose: (() => Error) | undefined;
  return {
    read: (signal) => store.read(signal),
    async write(height, expectedVersion, signal) {
      const version = await store.write(height, expectedVersion, signal);
      const failure = lose;
      lose = undefined;
      if (failure) throw failure();
      return version;
    },
    loseNextReply(failure) {
      lose = failure;
    },
  };
}

const unavailable = (): Error =>
  new CheckpointUnavailableError({
    location: 'test',
    operation: 'write',
    status: undefined,
    cause: new Error('socket hang up'),
  });
const refusedOnRetry = (): Error => new CheckpointConflictError({ location: 'test', expectedVersion: '"stale"' });

const stores: [string, () => Promise<CheckpointStore>][] = [
  ['MemoryCheckpointStore', () => Promise.resolve(new MemoryCheckpointStore())],
  [
    'BlobCheckpointStore',
    async () => {
      const container = BlobServiceClient.fromConnectionString(storage.connectionString).getContainerClient(
        `checkpoints-${randomUUID()}`,
      );
      await container.create();
      return new BlobCheckpointStore({ container, blobName: 'relay/checkpoint.json' });
    },
  ],
];

describe.each(stores)('a checkpointer over %s', (_name, makeStore) => {
  test('after a write that failed although it was stored, the next write takes the stored version as its own and moves on', async () => {
    const store = losingReplies(await makeStore());
    const checkpointer = await openCheckpointer(store);
    await checkpointer.checkpointHeight(2);

    store.loseNextReply(unavailable);
    expect(await rejection(checkpointer.checkpointHeight(3))).toBeInstanceOf(CheckpointUnavailableError);
    expect(checkpointer.getHeight()).toBe(2);
    await checkpointer.checkpointHeight(5);

    expect(checkpointer.getHeight()).toBe(5);
    expect((await store.read())?.height).toBe(5);
    await checkpointer.checkpointHeight(6);
    expect((await store.read())?.height).toBe(6);
  });

  test('a first write that was stored but answered with a conflict (the retry of an applied write) counts as stored', async () => {
    const store = losingReplies(await makeStore());
    const checkpointer = await openCheckpointer(store);

    store.loseNextReply(refusedOnRetry);
    await checkpointer.checkpointHeight(4);

    expect(checkpointer.getHeight()).toBe(4);
    await checkpointer.checkpointHeight(7);
    expect((await store.read())?.height).toBe(7);
  });

  test('a checkpoint another writer stored, at a height this one never wrote, still fails with CheckpointConflictError', async () => {
    const store = losingReplies(await makeStore());
    const mine = await openCheckpointer(store);
    await mine.checkpointHeight(2);
    store.loseNextReply(unavailable);
    await rejection(mine.checkpointHeight(3));
    const theirs = await openCheckpointer(store);
    await theirs.checkpointHeight(6);

    expect(await rejection(mine.checkpointHeight(4))).toBeInstanceOf(CheckpointConflictError);
    expect(mine.getHeight()).toBe(2);
    expect((await store.read())?.height).toBe(6);
  });
});
