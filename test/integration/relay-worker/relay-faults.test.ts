import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { type QueueClient, QueueServiceClient } from '@azure/storage-queue';

import { type LocalStorage, startLocalStorage } from '../../../dev/azurite/local-storage';
import { type DevNode, startDevNode } from '../../../dev/bigchaindb/dev-node';
import { BlobCheckpointStore } from '../../../shared/blob-checkpoint-store';
import type { LedgerEvent } from '../../../shared/ledger-event';
import { generateKeyPair } from '../../../shared/transaction/signing';
import { startTestNode } from '../../helpers/dev-node';
import { drainLedgerEvents } from '../../helpers/ledger-queue';
import { type RelayHarness, startRelay } from '../../helpers/relay-harness';
import { startStreamProxy, type StreamProxy } from '../../helpers/stream-proxy';
import { createTransaction, postRaw, type SignedTransaction } from '../../helpers/transactions';

// The in-process relay, with real parts, while one of them fails: the dev node restarts, storage goes away,
// the Event Stream carries malformed frames or loses one (reliability-lessons §3a–3c).

const alice = generateKeyPair();
let node: DevNode | undefined;
let storage: LocalStorage | undefined;
let proxy: StreamProxy | undefined;
let relay: RelayHarness | undefined;
let tempDir: string | undefined;

afterEach(async () => {
  await relay?.stop();
  await proxy?.close();
  await node?.close();
  await storage?.close();
  if (tempDir !== undefined) await rm(tempDir, { recursive: true, force: true });
  relay = proxy = node = storage = tempDir = undefined;
});

function queueOf(
  connectionString: string,
  options?: Parameters<typeof QueueServiceClient.fromConnectionString>[1],
): QueueClient {
  return QueueServiceClient.fromConnectionString(connectionString, options).getQueueClient('ledger-events');
}

function containerOf(
  connectionString: string,
  options?: Parameters<typeof BlobServiceClient.fromConnectionString>[1],
): ContainerClient {
  return BlobServiceClient.fromConnectionString(connectionString, options).getContainerClient('relay-checkpoints');
}

/** `count` CREATEs of distinct assets, signed. */
function signCreates(tag: string, count: number): SignedTransaction[] {
  return Array.from({ length: count }, (_, serial) => createTransaction(alice, { tag, serial }));
}

/** Commits `transactions` one after another (commit mode: one block each). */
async function commit(apiUrl: string, transactions: readonly SignedTransaction[]): Promise<void> {
  for (const transaction of transactions) expect((await postRaw(apiUrl, transaction, 'commit')).status).toBe(202);
}

/** Commits `count` CREATEs one after another (one block each). */
async function commitCreates(apiUrl: string, tag: string, count: number): Promise<SignedTransaction[]> {
  const transactions = signCreates(tag, count);
  await commit(apiUrl, transactions);
  return transactions;
}

const idsOf = (transactions: readonly SignedTransaction[]): string[] => transactions.map(({ id }) => id);
const sorted = (values: readonly string[]): string[] => [...values].sort();

/** The `source` of every message of each transaction, sorted. */
function sourcesById(events: readonly LedgerEvent[]): Map<string, string[]> {
  const sources = new Map<string, string[]>();
  for (const { transaction_id, source } of events)
    sources.set(transaction_id, [...(sources.get(transaction_id) ?? []), source].sort());
  return sources;
}

function portOf(url: string): number {
  return Number(new URL(url).port);
}

describe('a dev node restart mid-stream', () => {
  test('every transaction committed before and after the restart reaches the queue; only backfill repeats a message', async () => {
    tempDir = await mkdtemp(join(tmpdir(), 'relay-node-restart-'));
    storage = await startLocalStorage();
    node = await startTestNode({ dataDir: tempDir });
    const queue = queueOf(storage.connectionString);
    await queue.create();
    relay = await startRelay({ apiUrl: node.apiUrl, queue, container: containerOf(storage.connectionString) });
    await relay.waitForLog(/^relaying live/);
    const before = await commitCreates(node.apiUrl, 'before the restart', 4);
    await relay.waitUntilSent(idsOf(before));

    const stoppedAt = relay.logs.length;
    const { url, streamUrl } = node;
    await node.close();
    node = undefined;
    // The node is down: the relay's reconnects fail (it cannot even read GET /).
    await relay.waitForLog(/^relay session failed; reconnecting$/, stoppedAt);
    const restartedAt = relay.logs.length;
    node = await startDevNode({ host: '127.0.0.1', port: portOf(url), wsPort: portOf(streamUrl), dataDir: tempDir });
    await relay.waitForLog(/^relaying live/, restartedAt);
    const after = await commitCreates(node.apiUrl, 'after the restart', 4);
    await relay.waitUntilSent(idsOf(after));
    await relay.stop();
    relay = undefined;

    const events = await drainLedgerEvents(queue);
    const sources = sourcesById(events);
    expect(sorted([...sources.keys()])).toEqual(sorted(idsOf([...before, ...after])));
    // Relayed live before the restart; the block the checkpoint had not covered yet is backfilled once more.
    for (const { id } of before) expect([['stream'], ['backfill', 'stream']]).toContainEqual(sources.get(id));
    for (const { id } of after) expect(sources.get(id)).toEqual(['stream']);
    // The restarted node kept its chain: the heights go on from where they were.
    const heightOf = (id: string): number =>
      (events.find(({ transaction_id }) => transaction_id === id) as LedgerEvent).height;
    expect([...before, ...after].map(({ id }) => heightOf(id))).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });
});

describe('storage unavailable', () => {
  test('transactions committed while Azurite is down reach the queue once it is back, and the failures are logged', async () => {
    tempDir = await mkdtemp(join(tmpdir(), 'relay-storage-outage-'));
    storage = await startLocalStorage({ location: tempDir });
    node = await startTestNode();
    // Few, quick SDK retries, so that the relay's own retry (reconnect and backfill) is what recovers; with the
    // SDK's defaults (4 tries, 4 s apart) a few seconds of outage would never reach the relay.
    const retryOptions = { maxTries: 2, retryDelayInMs: 50, maxRetryDelayInMs: 100, tryTimeoutInMs: 2_000 };
    const { connectionString, blobEndpoint, queueEndpoint, tableEndpoint } = storage;
    const queue = queueOf(connectionString, { retryOptions });
    await queue.create();
    const running = (relay = await startRelay({
      apiUrl: node.apiUrl,
      queue,
      container: containerOf(connectionString, { retryOptions }),
    }));
    await running.waitForLog(/^relaying live/);
    const before = await commitCreates(node.apiUrl, 'before the outage', 2);
    await running.waitUntilSent(idsOf(before));

    const outageAt = running.logs.length;
    const startedAt = performance.now();
    await storage.close();
    storage = undefined;
    const during = await commitCreates(node.apiUrl, 'during the outage', 4);
    // Down for three seconds at least, counted in the relay's own failed sessions: it keeps retrying, with
    // back-off, for as long as storage is down.
    await running.waitForLog(
      /^relay session failed; reconnecting$/,
      outageAt,
      () => performance.now() - startedAt >= 3_000,
    );
    const failures = running.logs.slice(outageAt).filter(({ msg }) => msg === 'relay session failed; reconnecting');
    expect(failures.length).toBeGreaterThanOrEqual(5);
    expect(failures.map((entry) => entry['failures'])).toEqual(failures.map((_, index) => index + 1));
    storage = await startLocalStorage({
      location: tempDir,
      blobPort: portOf(blobEndpoint),
      queuePort: portOf(queueEndpoint),
      tablePort: portOf(tableEndpoint),
    });
    expect(storage.connectionString).toBe(connectionString);
    await running.waitUntilSent(idsOf(during));
    await running.stop();
    relay = undefined;

    const events = await drainLedgerEvents(queueOf(connectionString));
    const sources = sourcesById(events);
    expect(sorted([...sources.keys()])).toEqual(sorted(idsOf([...before, ...during])));
    // Nothing sent while storage was down reached the queue: each transaction committed then is there once, backfilled.
    for (const { id } of during) expect(sources.get(id)).toEqual(['backfill']);
    for (const { id } of before) expect([['stream'], ['backfill', 'stream']]).toContainEqual(sources.get(id));
    expect(running.logs.slice(outageAt)).toContainEqual({
      level: 'warn',
      msg: 'relay session failed; reconnecting',
      error: expect.stringMatching(/ECONNREFUSED/),
      failures: 1,
    });
    // The checkpoint caught up with the node: every block is on the queue.
    const checkpoint = await new BlobCheckpointStore({
      container: containerOf(connectionString),
      blobName: 'ledger-events/checkpoint.json',
    }).read();
    expect(checkpoint?.height).toBe(node.latestHeight);
  });
});

describe('malformed and missing Event Stream frames', () => {
  const skipped = 'skipped a malformed Event Stream frame; backfill covers its block';

  /** A dev node, Azurite, a proxy of the node's Event Stream and a relay subscribed to the proxy, relaying live. */
  async function relayBehindProxy(): Promise<{
    apiUrl: string;
    queue: QueueClient;
    proxy: StreamProxy;
    relay: RelayHarness;
  }> {
    [node, storage] = await Promise.all([startTestNode(), startLocalStorage()]);
    proxy = await startStreamProxy(node.streamUrl);
    const queue = queueOf(storage.connectionString);
    await queue.create();
    relay = await startRelay({
      apiUrl: node.apiUrl,
      streamUrl: proxy.url,
      queue,
      container: containerOf(storage.connectionString),
    });
    await relay.waitForLog(/^relaying live/);
    return { apiUrl: node.apiUrl, queue, proxy, relay };
  }

  /** A rewrite that replaces the frame of `transactionId` by `replacement` (nothing: drops it) and forwards the rest. */
  const replacing =
    (transactionId: string, ...replacement: string[]) =>
    (frame: string): { data: string }[] =>
      (JSON.parse(frame) as { transaction_id: string }).transaction_id === transactionId
        ? replacement.map((data) => ({ data }))
        : [{ data: frame }];

  test('frames that are not events are counted and logged, and every transaction still reaches the queue exactly once', async () => {
    const { apiUrl, queue, proxy, relay: running } = await relayBehindProxy();
    const [first, second] = signCreates('around malformed frames', 2) as [SignedTransaction, SignedTransaction];
    await commit(apiUrl, [first]);
    await running.waitUntilSent([first.id]);

    const frames = [{ data: 'not json' }, { data: '{"height": 1}' }, { data: '{"height": 1}', binary: true }];
    for (const [index, frame] of frames.entries()) {
      const from = running.logs.length;
      proxy.inject(frame);
      await running.waitForLog(/^skipped a malformed Event Stream frame/, from);
      expect(running.relay.counters.malformedFrames).toBe(index + 1);
      // It stands for an event the relay cannot read: the relay reconnects and backfills from its checkpoint.
      await running.waitForLog(/^relaying live/, from);
    }
    await commit(apiUrl, [second]);
    await running.waitUntilSent([second.id]);
    await running.stop();

    expect(running.logs.filter(({ msg }) => msg === skipped)).toEqual([
      { level: 'warn', msg: skipped, reason: 'not JSON' },
      { level: 'warn', msg: skipped, reason: 'missing key "asset_id"' },
      { level: 'warn', msg: skipped, reason: 'binary frame' },
    ]);
    expect(running.relay.counters).toMatchObject({ malformedFrames: 3, reconnects: 3, relayed: 2, backfilled: 0 });
    expect(sorted((await drainLedgerEvents(queue)).map(({ transaction_id }) => transaction_id))).toEqual(
      sorted([first.id, second.id]),
    );
  });

  test('a transaction whose frame never arrived reaches the queue through the idle probe and backfill', async () => {
    const { apiUrl, queue, proxy, relay: running } = await relayBehindProxy();
    const [first, dropped] = signCreates('one frame dropped', 2) as [SignedTransaction, SignedTransaction];
    proxy.rewrite = replacing(dropped.id);
    await commit(apiUrl, [first, dropped]);
    await running.waitUntilSent([first.id, dropped.id]);
    await running.stop();

    expect(running.logs).toContainEqual({
      level: 'warn',
      msg: 'the Event Stream went quiet but the node has transactions it did not deliver; reconnecting',
      height: 2,
    });
    const events = await drainLedgerEvents(queue);
    expect(events.map(({ transaction_id, height, source }) => ({ transaction_id, height, source }))).toEqual([
      { transaction_id: first.id, height: 1, source: 'stream' },
      { transaction_id: dropped.id, height: 2, source: 'backfill' },
    ]);
    expect(running.relay.counters).toMatchObject({ relayed: 1, backfilled: 1, malformedFrames: 0 });
  });

  test('a transaction whose frame never arrived reaches the queue although later blocks were relayed first', async () => {
    const { apiUrl, queue, proxy, relay: running } = await relayBehindProxy();
    const [first, dropped, third] = signCreates('one frame dropped mid-stream', 3) as [
      SignedTransaction,
      SignedTransaction,
      SignedTransaction,
    ];
    proxy.rewrite = replacing(dropped.id);
    await commit(apiUrl, [first, dropped, third]);
    await running.waitUntilSent([first.id, dropped.id, third.id]);
    await running.stop();

    // The checkpoint may not pass block 2, whose event never came: the audit of block 2 ends the
    // session and the next one backfills from the block after the first.
    expect(running.logs).toContainEqual({
      level: 'warn',
      msg: 'the Event Stream missed transactions of a block; backfilling it',
      height: 2,
      expected: 1,
      received: 0,
    });
    const sources = sourcesById(await drainLedgerEvents(queue));
    expect(sorted([...sources.keys()])).toEqual(sorted([first.id, dropped.id, third.id]));
    expect(sources.get(dropped.id)).toEqual(['backfill']);
  });

  test('a transaction whose frame arrived garbled reaches the queue although later blocks were relayed first', async () => {
    const { apiUrl, queue, proxy, relay: running } = await relayBehindProxy();
    const [first, garbled, third] = signCreates('one frame garbled', 3) as [
      SignedTransaction,
      SignedTransaction,
      SignedTransaction,
    ];
    proxy.rewrite = (frame) => replacing(garbled.id, frame.slice(0, -2))(frame);
    await commit(apiUrl, [first, garbled, third]);
    await running.waitUntilSent([first.id, garbled.id, third.id]);
    await running.stop();

    expect(running.logs).toContainEqual({ level: 'warn', msg: skipped, reason: 'not JSON' });
    expect(running.relay.counters.malformedFrames).toBe(1);
    // The relay stopped reading at the garbled frame, reconnected and backfilled from the block after the first.
    expect(Object.fromEntries(sourcesById(await drainLedgerEvents(queue)))).toEqual({
      [first.id]: ['stream'],
      [garbled.id]: ['backfill'],
      [third.id]: ['backfill'],
    });
  });
});
