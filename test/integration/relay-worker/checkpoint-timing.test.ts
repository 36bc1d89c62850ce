import { EventEmitter, once } from 'node:events';

import type { DevNode } from '../../../dev/bigchaindb/dev-node';
import { connectEventStream } from '../../../relay-worker/event-stream-client';
import { Relay } from '../../../relay-worker/relay';
import type { BigchainDb } from '../../../shared/bigchaindb';
import { BigchainDbClient } from '../../../shared/bigchaindb-client';
import { decodeLedgerEvent, type LedgerEvent } from '../../../shared/ledger-event';
import { generateKeyPair } from '../../../shared/transaction/signing';
import { startTestNode } from '../../helpers/dev-node';
import { RecordingCheckpointer } from '../../helpers/recording-checkpointer';
import { createTransaction, postRaw, type SignedTransaction } from '../../helpers/transactions';

// When the relay writes its checkpoint. Live, at most once per interval (a blob write per block cost more storage
// work than the sends). The interval must never hold back what waits on the checkpoint: a stop writes the final one
// at once, and a catch-up step does not wait for it; the interval here is far longer than the test's timeout, so
// any such wait fails the test. And a stop that cancels the idle probe still confirms and checkpoints the open block.

const LONG_INTERVAL_MS = 10 * 60_000;

let node: DevNode;
let controller: AbortController;

beforeEach(async () => {
  node = await startTestNode();
  controller = new AbortController();
});

afterEach(async () => {
  controller.abort();
  await node.close();
});

interface RelayUnderTest {
  readonly relay: Relay;
  readonly running: Promise<void>;
  /** Emits each log message as an event of that name, and `sent` with each event sent. */
  readonly logged: EventEmitter;
  readonly sent: Set<string>;
}

function startRelay(
  checkpointer: RecordingCheckpointer,
  options: { bigchainDb?: Pick<BigchainDb, 'getInfo' | 'getBlock'>; idleProbeMs?: number } = {},
): RelayUnderTest {
  const logged = new EventEmitter();
  const sent = new Set<string>();
  const relay = new Relay({
    settings: {
      bigchainDbApiUrl: node.apiUrl,
      streamUrl: undefined,
      startHeight: 0,
      sendConcurrency: 8,
      maxBufferedEvents: 1_000,
      pingIntervalMs: 1_000,
      idleProbeMs: options.idleProbeMs ?? 10_000,
      reconnectMaxDelayMs: 200,
      backfillBatchBlocks: 3,
      checkpointIntervalMs: LONG_INTERVAL_MS,
    },
    bigchainDb: options.bigchainDb ?? new BigchainDbClient({ apiUrl: node.apiUrl }),
    connectStream: connectEventStream,
    send: async (text) => {
      const event = decodeLedgerEvent(text);
      sent.add(event.transaction_id);
      logged.emit('sent', event);
    },
    checkpointer,
    log: ({ msg }) => void logged.emit(msg),
  });
  return { relay, running: relay.run(controller.signal), logged, sent };
}

/**
 * The node's client, except that a cancellable read of block `height` waits until it is cancelled: the one injected
 * fault, which makes certain that the stop lands during the idle probe (it cannot be timed so otherwise).
 */
function probeHangsAt(height: () => number, probing: EventEmitter): Pick<BigchainDb, 'getInfo' | 'getBlock'> {
  const client = new BigchainDbClient({ apiUrl: node.apiUrl });
  return {
    getInfo: (signal) => client.getInfo(signal),
    getBlock: async (at, signal) => {
      if (signal === undefined || at !== height()) return client.getBlock(at, signal);
      probing.emit('probe', at);
      await once(signal, 'abort');
      throw signal.reason;
    },
  };
}

async function commit(count: number, run: string): Promise<SignedTransaction[]> {
  const alice = generateKeyPair();
  const transactions = Array.from({ length: count }, (_, serial) => createTransaction(alice, { run, serial }));
  for (const transaction of transactions) expect((await postRaw(node.apiUrl, transaction, 'commit')).status).toBe(202);
  return transactions;
}

test('live, blocks completed within one interval share one checkpoint write, and a stop writes the last one at once', async () => {
  const checkpointer = new RecordingCheckpointer();
  const { relay, running, logged, sent } = startRelay(checkpointer);
  await once(logged, 'relaying live from the Event Stream');
  const writesWhenLive = checkpointer.writes.length;

  const transactions = await commit(8, 'interval');
  while (!transactions.every(({ id }) => sent.has(id))) await once(logged, 'sent');
  // The catch-up wrote the checkpoint just before: every live block waits for the interval to end.
  const writesBeforeStop = checkpointer.writes.length;
  expect(writesBeforeStop - writesWhenLive).toBeLessThanOrEqual(1);
  expect(checkpointer.getHeight()).toBeLessThan(node.latestHeight);

  controller.abort();
  await running;
  await relay.flush();
  expect(checkpointer.getHeight()).toBe(node.latestHeight);
  expect(checkpointer.writes.length).toBe(writesBeforeStop + 1);
});

test('a catch-up does not wait for the interval between its steps', async () => {
  const transactions = await commit(10, 'catch-up');
  const checkpointer = new RecordingCheckpointer();
  const { running, logged } = startRelay(checkpointer);

  await once(logged, 'backfill done');
  expect(checkpointer.getHeight()).toBe(node.latestHeight);
  // A write per step of 3 blocks at least (the relay asks the node for no block it was not sent).
  expect(checkpointer.writes.length).toBeGreaterThanOrEqual(Math.floor(transactions.length / 3));
  controller.abort();
  await running;
});

test('a stop during the idle probe of the open block still confirms and checkpoints that block', async () => {
  const probing = new EventEmitter();
  let target = -1;
  const checkpointer = new RecordingCheckpointer();
  const { relay, running, logged } = startRelay(checkpointer, {
    bigchainDb: probeHangsAt(() => target, probing),
    idleProbeMs: 50,
  });
  await once(logged, 'relaying live from the Event Stream');

  const transaction = createTransaction(generateKeyPair(), { run: 'stop during probe' });
  const relayed = once(logged, 'sent') as Promise<[LedgerEvent]>;
  expect((await postRaw(node.apiUrl, transaction, 'commit')).status).toBe(202);
  const [event] = await relayed;
  expect(event).toMatchObject({ transaction_id: transaction.id, source: 'stream' });
  target = event.height;
  await once(probing, 'probe');

  controller.abort();
  await running;
  await relay.flush();

  expect(checkpointer.getHeight()).toBe(event.height);
});
