import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { type QueueClient, QueueServiceClient, RestError } from '@azure/storage-queue';

import { type LocalStorage, startLocalStorage } from '../../../dev/azurite/local-storage';
import type { DevNode } from '../../../dev/bigchaindb/dev-node';
import { createLeaderLease } from '../../../relay-worker/leader-lease';
import {
  poisonQueueName,
  redrivePoison,
  type RedriveProgress,
  type RelayOperationsDependencies,
  relayStatus,
  replayHeights,
  type ReplayProgress,
} from '../../../relay-worker/operations';
import { BigchainDbClient } from '../../../shared/bigchaindb-client';
import { BlobCheckpointStore } from '../../../shared/blob-checkpoint-store';
import { decodeLedgerEvent, encodeLedgerEvent, type LedgerEvent } from '../../../shared/ledger-event';
import { generateKeyPair, type KeyPair } from '../../../shared/transaction/signing';
import { startTestNode } from '../../helpers/dev-node';
import {
  createTransaction,
  outputTo,
  postRaw,
  type SignedTransaction,
  transferTransaction,
} from '../../helpers/transactions';

// The operations commands against real parts: the dev node over HTTP, Azurite queues and blobs.

const QUEUE = 'ledger-events';
const RELAYED_AT = '2026-11-25T17:00:00.000Z';

let node: DevNode;
let storage: LocalStorage;
let queue: QueueClient;
let poison: QueueClient;
let container: ContainerClient;
let deps: RelayOperationsDependencies;
/** Every height the operations asked the node for, in order. */
let probed: number[];
let alice: KeyPair;

beforeEach(async () => {
  [node, storage] = await Promise.all([startTestNode(), startLocalStorage()]);
  const queueService = QueueServiceClient.fromConnectionString(storage.connectionString);
  queue = queueService.getQueueClient(QUEUE);
  poison = queueService.getQueueClient(poisonQueueName(QUEUE));
  container = BlobServiceClient.fromConnectionString(storage.connectionString).getContainerClient('relay-checkpoints');
  const bigchainDb = new BigchainDbClient({ apiUrl: node.apiUrl });
  probed = [];
  deps = {
    queue,
    poisonQueue: poison,
    container,
    bigchainDb: { getBlock: (height, signal) => (probed.push(height), bigchainDb.getBlock(height, signal)) },
    now: () => new Date(RELAYED_AT),
  };
  alice = generateKeyPair();
});

afterEach(async () => {
  await node.close();
  await storage.close();
});

/** Numbers the VINs of created assets, so that no two CREATEs are the same transaction. */
let vins = 0;

/** Commits CREATEs one block each; the first lands at `node.latestHeight + 1`. */
async function commitCreates(count: number): Promise<SignedTransaction[]> {
  const committed: SignedTransaction[] = [];
  for (let i = 0; i < count; i++) {
    const created = createTransaction(alice, { vin: `WVWZZZ1KZAW${String(++vins).padStart(6, '0')}` });
    expect((await postRaw(node.apiUrl, created, 'commit')).status).toBe(202);
    committed.push(created);
  }
  return committed;
}

async function commit(transaction: SignedTransaction): Promise<void> {
  expect((await postRaw(node.apiUrl, transaction, 'commit')).status).toBe(202);
}

/** Receives (and hides) every message of `client`. */
async function drain(client: QueueClient): Promise<string[]> {
  const texts: string[] = [];
  for (;;) {
    const { receivedMessageItems } = await client.receiveMessages({ numberOfMessages: 32, visibilityTimeout: 300 });
    if (receivedMessageItems.length === 0) return texts;
    texts.push(...receivedMessageItems.map(({ messageText }) => messageText));
  }
}

const byTransactionId = (a: LedgerEvent, b: LedgerEvent): number => a.transaction_id.localeCompare(b.transaction_id);

function replayed(transaction: SignedTransaction, height: number, assetId = transaction.id): LedgerEvent {
  return { transaction_id: transaction.id, asset_id: assetId, height, source: 'replay', relayed_at: RELAYED_AT };
}

async function depth(client: QueueClient): Promise<number> {
  return (await client.getProperties()).approximateMessagesCount ?? -1;
}

describe('relayStatus', () => {
  it('on an empty system reports no checkpoint, an available lease, empty queues and a lag of the newest height, creating nothing', async () => {
    await commitCreates(3);

    expect(await relayStatus(deps)).toStrictEqual({
      checkpointHeight: null,
      lease: { state: 'available' },
      queue: { name: 'ledger-events', approximateMessagesCount: 0 },
      poisonQueue: { name: 'ledger-events-poison', approximateMessagesCount: 0 },
      newestHeight: 3,
      lag: 3,
    });
    expect([await queue.exists(), await poison.exists(), await container.exists()]).toStrictEqual([
      false,
      false,
      false,
    ]);
  });

  it('on a fresh node finds genesis block 0 as the newest block', async () => {
    expect(await relayStatus(deps)).toMatchObject({ checkpointHeight: null, newestHeight: 0, lag: 0 });
    expect(probed).toStrictEqual([0, 1]);
  });

  it('after a checkpoint, with a leader and poison messages, reports each one', async () => {
    await commitCreates(13);
    await new BlobCheckpointStore({ container, blobName: 'ledger-events/checkpoint.json' }).write(3, undefined);
    await Promise.all([queue.create(), poison.create()]);
    for (const text of ['one', 'two']) await queue.sendMessage(text);
    for (const text of ['a', 'b', 'c']) await poison.sendMessage(text);
    const lease = createLeaderLease({
      container,
      blobName: 'ledger-events/leader',
      leaseDurationSeconds: 15,
      retryIntervalMs: 1_000,
      instanceId: 'relay-a',
      log: () => undefined,
    });
    await lease.acquire();
    try {
      expect(await relayStatus(deps)).toStrictEqual({
        checkpointHeight: 3,
        lease: {
          state: 'leased',
          instanceId: 'relay-a',
          acquiredAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
        },
        queue: { name: 'ledger-events', approximateMessagesCount: 2 },
        poisonQueue: { name: 'ledger-events-poison', approximateMessagesCount: 3 },
        newestHeight: 13,
        lag: 10,
      });
    } finally {
      await lease.release();
    }
  });

  it('finds the newest block by doubling steps from the checkpoint, then bisecting', async () => {
    await commitCreates(13);
    await new BlobCheckpointStore({ container, blobName: 'ledger-events/checkpoint.json' }).write(3, undefined);

    expect(await relayStatus(deps)).toMatchObject({ newestHeight: 13, lag: 10 });
    // 3 and +1, +2, +4, +8 exist; +16 (19) does not; then 15 no, 13 yes, 14 no.
    expect(probed).toStrictEqual([3, 4, 5, 7, 11, 19, 15, 13, 14]);
  });

  it('reports a negative lag when the node is behind the checkpoint', async () => {
    await commitCreates(2);
    await new BlobCheckpointStore({ container, blobName: 'ledger-events/checkpoint.json' }).write(10, undefined);

    expect(await relayStatus(deps)).toMatchObject({ checkpointHeight: 10, newestHeight: 2, lag: -8 });
  });
});

describe('replayHeights', () => {
  /** Blocks 1..5: a CREATE; its TRANSFER; two CREATEs; a CREATE; a CREATE. */
  async function buildChain(): Promise<{
    a: SignedTransaction;
    aLeased: SignedTransaction;
    b: SignedTransaction;
    c: SignedTransaction;
    d: SignedTransaction;
    e: SignedTransaction;
  }> {
    const [a] = (await commitCreates(1)) as [SignedTransaction];
    const aLeased = transferTransaction([{ tx: a, outputIndex: 0 }], [outputTo(generateKeyPair())], [alice]);
    await commit(aLeased);
    node.blocks.hold();
    const b = createTransaction(alice, { vin: 'block three, first' });
    const c = createTransaction(alice, { vin: 'block three, second' });
    expect((await postRaw(node.apiUrl, b, 'sync')).status).toBe(202);
    expect((await postRaw(node.apiUrl, c, 'sync')).status).toBe(202);
    node.blocks.release();
    const [d, e] = (await commitCreates(2)) as [SignedTransaction, SignedTransaction];
    expect(node.latestHeight).toBe(5);
    return { a, aLeased, b, c, d, e };
  }

  it('puts exactly the transactions of blocks from..to on the queue with source replay, their heights and asset ids', async () => {
    const { a, aLeased, b, c, d } = await buildChain();
    const progress: ReplayProgress[] = [];

    const result = await replayHeights(deps, {
      from: 2,
      to: 4,
      progressEveryBlocks: 2,
      onProgress: (p) => progress.push(p),
    });

    expect(result).toStrictEqual({ blocks: 3, messages: 4, lastHeight: 4 });
    expect((await drain(queue)).map(decodeLedgerEvent).sort(byTransactionId)).toStrictEqual(
      [replayed(aLeased, 2, a.id), replayed(b, 3), replayed(c, 3), replayed(d, 4)].sort(byTransactionId),
    );
    expect(progress).toStrictEqual([
      { blocks: 2, messages: 3, lastHeight: 3, done: false },
      { blocks: 3, messages: 4, lastHeight: 4, done: true },
    ]);
    expect(probed.slice(0, 3)).toStrictEqual([2, 3, 4]);
    expect(probed.every((height) => height >= 2 && height <= 4)).toBe(true);
  });

  it('without to runs to the newest block, reporting progress once at the end', async () => {
    const { d, e } = await buildChain();
    const progress: ReplayProgress[] = [];

    const result = await replayHeights(deps, { from: 4, onProgress: (p) => progress.push(p) });

    expect(result).toStrictEqual({ blocks: 2, messages: 2, lastHeight: 5 });
    expect((await drain(queue)).map(decodeLedgerEvent).sort(byTransactionId)).toStrictEqual(
      [replayed(d, 4), replayed(e, 5)].sort(byTransactionId),
    );
    expect(progress).toStrictEqual([{ blocks: 2, messages: 2, lastHeight: 5, done: true }]);
  });

  it('from 0 walks the empty genesis block and every later one with one send in flight at a time', async () => {
    const creates = await commitCreates(40);

    const result = await replayHeights(deps, { from: 0, concurrency: 1 });

    expect(result).toStrictEqual({ blocks: 41, messages: 40, lastHeight: 40 });
    expect((await drain(queue)).map(decodeLedgerEvent).sort(byTransactionId)).toStrictEqual(
      creates.map((created, i) => replayed(created, i + 1)).sort(byTransactionId),
    );
  });

  it('with to past the newest block stops at the first missing height', async () => {
    await buildChain();

    expect(await replayHeights(deps, { from: 3, to: 9 })).toStrictEqual({ blocks: 3, messages: 4, lastHeight: 5 });
  });

  it('from past the newest block sends nothing and asks the node once', async () => {
    await buildChain();
    const progress: ReplayProgress[] = [];

    expect(await replayHeights(deps, { from: 6, onProgress: (p) => progress.push(p) })).toStrictEqual({
      blocks: 0,
      messages: 0,
      lastHeight: null,
    });
    expect(progress).toStrictEqual([{ blocks: 0, messages: 0, lastHeight: null, done: true }]);
    expect(probed).toStrictEqual([6]);
    expect(await depth(queue)).toBe(0);
  });

  it.each([
    [{ from: -1 }, 'replay from must be a non-negative integer, got -1'],
    [{ from: 1.5 }, 'replay from must be a non-negative integer, got 1.5'],
    [{ from: Number.NaN }, 'replay from must be a non-negative integer, got NaN'],
    [{ from: 2 ** 53 }, 'replay from must be a non-negative integer, got 9007199254740992'],
    [{ from: 0, to: -2 }, 'replay to must be a non-negative integer, got -2'],
    [{ from: 0, to: 2.5 }, 'replay to must be a non-negative integer, got 2.5'],
    [{ from: 5, to: 3 }, 'replay from (5) must not be above to (3)'],
    [{ from: 0, concurrency: 0 }, 'replay concurrency must be a positive integer, got 0'],
    [{ from: 0, progressEveryBlocks: 0.5 }, 'replay progressEveryBlocks must be a positive integer, got 0.5'],
  ])('refuses %j with a RangeError before touching the node or the queue', async (options, message) => {
    await expect(replayHeights(deps, options)).rejects.toStrictEqual(new RangeError(message));
    expect(probed).toStrictEqual([]);
    expect(await queue.exists()).toBe(false);
  });
});

describe('redrivePoison', () => {
  it('moves every poison message back to the queue verbatim, in batches, and empties the poison queue', async () => {
    const [created] = (await commitCreates(1)) as [SignedTransaction];
    const event = encodeLedgerEvent(replayed(created, 1));
    const texts = [
      event,
      'not base64 at all',
      ...Array.from({ length: 38 }, (_, i) => Buffer.from(`{"n":${i}}`).toString('base64')),
    ];
    await poison.create();
    for (const text of texts) await poison.sendMessage(text);
    const progress: RedriveProgress[] = [];

    const moved = await redrivePoison(deps, { onProgress: (p) => progress.push(p) });

    expect(moved).toBe(40);
    expect(progress).toStrictEqual([{ moved: 32 }, { moved: 40 }]);
    expect((await drain(queue)).sort()).toStrictEqual([...texts].sort());
    expect(await depth(poison)).toBe(0);
    expect(await poison.peekMessages({ numberOfMessages: 32 })).toMatchObject({ peekedMessageItems: [] });
  });

  it('moves nothing and creates nothing when the poison queue does not exist', async () => {
    const progress: RedriveProgress[] = [];

    expect(await redrivePoison(deps, { onProgress: (p) => progress.push(p) })).toBe(0);
    expect(progress).toStrictEqual([]);
    expect([await poison.exists(), await queue.exists()]).toStrictEqual([false, false]);
  });

  it('moves nothing from an empty poison queue', async () => {
    await poison.create();

    expect(await redrivePoison(deps)).toBe(0);
    expect(await depth(poison)).toBe(0);
  });

  it('sends before it deletes: a delete that fails leaves the message in both queues rather than in neither', async () => {
    await poison.create();
    await poison.sendMessage('kept twice');
    const refused = new RestError('delete refused', { statusCode: 500 });
    const failingPoison = Object.assign(Object.create(poison) as QueueClient, {
      deleteMessage: () => Promise.reject(refused),
    });

    await expect(redrivePoison({ ...deps, poisonQueue: failingPoison })).rejects.toBe(refused);
    expect(await drain(queue)).toStrictEqual(['kept twice']);
    expect(await depth(poison)).toBe(1);
  });
});
