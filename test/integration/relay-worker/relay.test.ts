import { EventEmitter } from 'node:events';

import { BlobServiceClient } from '@azure/storage-blob';
import { QueueClient, QueueServiceClient } from '@azure/storage-queue';

import { startLocalStorage, type LocalStorage } from '../../../dev/azurite/local-storage';
import type { DevNode } from '../../../dev/bigchaindb/dev-node';
import { BlobCheckpointStore } from '../../../relay-worker/blob-checkpoint-store';
import { connectEventStream } from '../../../relay-worker/event-stream-client';
import { Relay, type RelayDependencies } from '../../../relay-worker/relay';
import { BigchainDbClient } from '../../../shared/bigchaindb-client';
import { openCheckpointer } from '../../../shared/checkpoint';
import type { LogEntry } from '../../../shared/json-log';
import { decodeLedgerEvent, type LedgerEvent } from '../../../shared/ledger-event';
import { generateKeyPair } from '../../../shared/transaction/signing';
import { startTestNode } from '../../helpers/dev-node';
import { createTransaction, outputTo, postRaw, transferTransaction, type SignedTransaction } from '../../helpers/transactions';

// The relay with real parts: the dev node over HTTP and WebSocket, Azurite queues and blobs.

let node: DevNode;
let storage: LocalStorage;
let queue: QueueClient;
let sent: EventEmitter;
let sentCount: number;
let logs: LogEntry[];

beforeEach(async () => {
  [node, storage] = await Promise.all([startTestNode(), startLocalStorage()]);
  queue = QueueServiceClient.fromConnectionString(storage.connectionString).getQueueClient('ledger-events');
  await queue.create();
  sent = new EventEmitter();
  sentCount = 0;
  logs = [];
});

afterEach(async () => {
  await node.close();
  await storage.close();
});

async function relayFor(): Promise<Relay> {
  const container = BlobServiceClient.fromConnectionString(storage.connectionString).getContainerClient('relay-checkpoints');
  const deps: RelayDependencies = {
    settings: {
      bigchainDbApiUrl: node.apiUrl,
      streamUrl: undefined,
      startHeight: 0,
      sendConcurrency: 16,
      maxBufferedEvents: 1_000,
      pingIntervalMs: 1_000,
      idleProbeMs: 150,
      reconnectMaxDelayMs: 200,
      backfillBatchBlocks: 5,
    },
    bigchainDb: new BigchainDbClient({ apiUrl: node.apiUrl }),
    connectStream: connectEventStream,
    send: async (text) => {
      await queue.sendMessage(text);
      sentCount++;
      sent.emit('sent', sentCount);
    },
    checkpointer: await openCheckpointer(new BlobCheckpointStore({ container, blobName: 'ledger-events/checkpoint.json' })),
    log: (entry) => {
      logs.push(entry);
      sent.emit('log', entry);
    },
  };
  return new Relay(deps);
}

/** Resolves once the relay has put `count` messages on the queue in total. */
function sentAtLeast(count: number): Promise<void> {
  return new Promise((resolve) => {
    const check = (): void => {
      if (sentCount < count) return;
      sent.off('sent', check);
      resolve();
    };
    sent.on('sent', check);
    check();
  });
}

async function queuedEvents(): Promise<LedgerEvent[]> {
  const events: LedgerEvent[] = [];
  for (;;) {
    const { receivedMessageItems } = await queue.receiveMessages({ numberOfMessages: 32, visibilityTimeout: 300 });
    if (receivedMessageItems.length === 0) return events;
    events.push(...receivedMessageItems.map(({ messageText }) => decodeLedgerEvent(messageText)));
  }
}

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

/** Resolves once the relay logs `pattern` (counting from now). */
function nextLog(pattern: RegExp): Promise<void> {
  return new Promise((resolve) => {
    const listener = (entry: LogEntry): void => {
      if (!pattern.test(entry.msg)) return;
      sent.off('log', listener);
      resolve();
    };
    sent.on('log', listener);
  });
}

/** Starts the relay and resolves once it relays live (caught up). */
async function runInBackground(relay: Relay): Promise<{ stop: () => Promise<void> }> {
  const controller = new AbortController();
  const live = nextLog(/^relaying live/);
  const running = relay.run(controller.signal);
  await live;
  return {
    async stop() {
      controller.abort();
      await running;
      await relay.flush();
    },
  };
}

describe('a clean run', () => {
  test('puts every committed transaction on the queue exactly once, base64, with its height and asset', async () => {
    const relay = await relayFor();
    const running = await runInBackground(relay);
    const committed = await commitTransactions(10);
    await sentAtLeast(committed.length);
    await running.stop();

    const events = await queuedEvents();

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
    expect(relay.counters).toMatchObject({ relayed: committed.length, backfilled: 0, duplicatesSkipped: 0, malformedFrames: 0 });
  });
});

describe('restarts', () => {
  test('a relay started after transactions were committed backfills them from the checkpoint, none missing or repeated', async () => {
    const first = await runInBackground(await relayFor());
    const before = await commitTransactions(4);
    await sentAtLeast(before.length);
    await first.stop();

    const whileStopped = await commitTransactions(6);
    const second = await relayFor();
    const running = await runInBackground(second);
    await sentAtLeast(before.length + whileStopped.length);
    await running.stop();

    const ids = (await queuedEvents()).map(({ transaction_id }) => transaction_id);
    expect(ids.sort()).toEqual([...before, ...whileStopped].map(({ id }) => id).sort());
    expect(second.counters).toMatchObject({ backfilled: whileStopped.length, relayed: 0, duplicatesSkipped: 0 });
  });
});

describe('a silently dead stream', () => {
  test('is noticed by probing the node for blocks it did not deliver; the relay reconnects and backfills', async () => {
    const relay = await relayFor();
    const running = await runInBackground(relay);
    const first = await commitTransactions(2);
    await sentAtLeast(first.length);

    node.eventStream.pause();
    const missed = await commitTransactions(3);
    await sentAtLeast(first.length + missed.length);
    node.eventStream.resume();
    await running.stop();

    const ids = (await queuedEvents()).map(({ transaction_id }) => transaction_id);
    expect(ids.sort()).toEqual([...first, ...missed].map(({ id }) => id).sort());
    expect(relay.counters.backfilled).toBe(missed.length);
    expect(logs.some(({ msg }) => /went quiet but the node has transactions it did not deliver/.test(msg))).toBe(true);
  });
});
