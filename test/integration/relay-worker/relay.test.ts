import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { type QueueClient, QueueServiceClient } from '@azure/storage-queue';

import { type LocalStorage, startLocalStorage } from '../../../dev/azurite/local-storage';
import type { DevNode } from '../../../dev/bigchaindb/dev-node';
import type { LedgerEvent } from '../../../shared/ledger-event';
import { generateKeyPair } from '../../../shared/transaction/signing';
import { startTestNode } from '../../helpers/dev-node';
import { drainLedgerEvents } from '../../helpers/ledger-queue';
import { type RelayHarness, startRelay } from '../../helpers/relay-harness';
import {
  createTransaction,
  outputTo,
  postRaw,
  type SignedTransaction,
  transferTransaction,
} from '../../helpers/transactions';

// The relay with real parts: the dev node over HTTP and WebSocket, Azurite queues and blobs.

let node: DevNode;
let storage: LocalStorage;
let queue: QueueClient;
let container: ContainerClient;

beforeEach(async () => {
  [node, storage] = await Promise.all([startTestNode(), startLocalStorage()]);
  queue = QueueServiceClient.fromConnectionString(storage.connectionString).getQueueClient('ledger-events');
  await queue.create();
  container = BlobServiceClient.fromConnectionString(storage.connectionString).getContainerClient('relay-checkpoints');
});

afterEach(async () => {
  await node.close();
  await storage.close();
});

/** Starts a relay and resolves once it relays live (caught up). */
async function startLiveRelay(): Promise<RelayHarness> {
  const harness = await startRelay({ apiUrl: node.apiUrl, queue, container });
  await harness.waitForLog(/^relaying live/);
  return harness;
}

const ids = (transactions: readonly SignedTransaction[]): string[] => transactions.map(({ id }) => id);

/** Commits `count` CREATEs and a TRANSFER of every other one, in commit mode; returns every id. */
async function commitTransactions(count: number): Promise<SignedTransaction[]> {
  const alice = generateKeyPair();
  const committed: SignedTransaction[] = [];
  for (let i = 0; i < count; i++) {
    const created = createTransaction(alice, { vin: `WVWZZZ1KZAW${String(i).padStart(6, '0')}` });
    expect((await postRaw(node.apiUrl, created, 'commit')).status).toBe(202);
    committed.push(created);
    if (i % 2 === 0) {
      const lease = transferTransaction([{ tx: created, outputIndex: 0 }], [outputTo(generateKeyPair())], [alice]);
      expect((await postRaw(node.apiUrl, lease, 'commit')).status).toBe(202);
      committed.push(lease);
    }
  }
  return committed;
}

describe('a clean run', () => {
  test('puts every committed transaction on the queue exactly once, base64, with its height and asset', async () => {
    const running = await startLiveRelay();
    const committed = await commitTransactions(10);
    await running.waitUntilSent(ids(committed));
    await running.stop();

    const events = await drainLedgerEvents(queue);

    expect(events.map(({ transaction_id }) => transaction_id).sort()).toEqual(committed.map(({ id }) => id).sort());
    for (const tx of committed) {
      const event = events.find(({ transaction_id }) => transaction_id === tx.id) as LedgerEvent;
      const [height] = (await (await fetch(`${node.apiUrl}blocks?transaction_id=${tx.id}`)).json()) as number[];
      expect(event).toEqual({
        transaction_id: tx.id,
        asset_id: (tx['asset'] as { id?: string }).id ?? tx.id,
        height,
        source: 'stream',
        relayed_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      });
    }
    expect(running.relay.counters).toMatchObject({
      relayed: committed.length,
      backfilled: 0,
      duplicatesSkipped: 0,
      malformedFrames: 0,
    });
  });
});

describe('restarts', () => {
  test('a relay started after transactions were committed backfills them from the checkpoint, none missing or repeated', async () => {
    const first = await startLiveRelay();
    const before = await commitTransactions(4);
    await first.waitUntilSent(ids(before));
    await first.stop();

    const whileStopped = await commitTransactions(6);
    const second = await startLiveRelay();
    await second.waitUntilSent(ids(whileStopped));
    await second.stop();

    const queued = (await drainLedgerEvents(queue)).map(({ transaction_id }) => transaction_id);
    expect(queued.sort()).toEqual(ids([...before, ...whileStopped]).sort());
    expect(second.relay.counters).toMatchObject({ backfilled: whileStopped.length, relayed: 0, duplicatesSkipped: 0 });
  });
});

describe('a silently dead stream', () => {
  test('is noticed by probing the node for blocks it did not deliver; the relay reconnects and backfills', async () => {
    const running = await startLiveRelay();
    const first = await commitTransactions(2);
    await running.waitUntilSent(ids(first));

    node.eventStream.pause();
    const missed = await commitTransactions(3);
    await running.waitUntilSent(ids(missed));
    node.eventStream.resume();
    await running.stop();

    const queued = (await drainLedgerEvents(queue)).map(({ transaction_id }) => transaction_id);
    expect(queued.sort()).toEqual(ids([...first, ...missed]).sort());
    expect(running.relay.counters.backfilled).toBe(missed.length);
    expect(
      running.logs.some(({ msg }) => /went quiet but the node has transactions it did not deliver/.test(msg)),
    ).toBe(true);
  });
});
