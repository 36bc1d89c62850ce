import { EventEmitter } from 'node:events';

import type { DevNode } from '../../../dev/bigchaindb/dev-node';
import { connectEventStream } from '../../../relay-worker/event-stream-client';
import { Relay } from '../../../relay-worker/relay';
import { BigchainDbClient } from '../../../shared/bigchaindb-client';
import type { LogEntry } from '../../../shared/json-log';
import { decodeLedgerEvent } from '../../../shared/ledger-event';
import { generateKeyPair } from '../../../shared/transaction/signing';
import { startTestNode } from '../../helpers/dev-node';
import { RecordingCheckpointer } from '../../helpers/recording-checkpointer';
import { createTransaction, postRaw } from '../../helpers/transactions';

// Blocks arrive faster than checkpoints can be written when storage is busy. The relay once queued a blob write
// for every block, one after another, so the checkpoint trailed the sends by a growing number of blocks (each
// re-sent after a crash) and the chain of waiting writes grew without bound. Now a write that waits takes the
// newest completed height, and the checkpoint keeps up.

let node: DevNode;

beforeEach(async () => {
  node = await startTestNode();
});

afterEach(async () => {
  await node.close();
});

test('when blocks come faster than checkpoint writes, each write takes the newest complete block and the checkpoint keeps up', async () => {
  const checkpointer = new RecordingCheckpointer(100);
  const sent: string[] = [];
  const logs = new EventEmitter();
  const relay = new Relay({
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
      checkpointIntervalMs: 0,
    },
    bigchainDb: new BigchainDbClient({ apiUrl: node.apiUrl }),
    connectStream: connectEventStream,
    send: async (text) => void sent.push(decodeLedgerEvent(text).transaction_id),
    checkpointer,
    log: (entry: LogEntry) => void logs.emit('entry', entry),
  });
  const live = new Promise<void>((resolve) =>
    logs.on('entry', ({ msg }: LogEntry) => msg.startsWith('relaying live') && resolve()),
  );
  const controller = new AbortController();
  const running = relay.run(controller.signal);

  // 60 blocks of one transaction each (commit mode, one after another), in well under the 6 s that a write per
  // block would take.
  const alice = generateKeyPair();
  const transactions = Array.from({ length: 60 }, (_, serial) =>
    createTransaction(alice, { run: 'coalescing', serial }),
  );
  await live;
  for (const transaction of transactions) expect((await postRaw(node.apiUrl, transaction, 'commit')).status).toBe(202);
  const lastHeight = node.latestHeight;
  await checkpointer.reach(lastHeight);
  controller.abort();
  await running;
  await relay.flush();

  expect(new Set(sent)).toEqual(new Set(transactions.map(({ id }) => id)));
  // Heights only go up, and far fewer writes than blocks were needed to reach the last one.
  expect(checkpointer.writes).toEqual([...checkpointer.writes].sort((a, b) => a - b));
  expect(checkpointer.writes.length).toBeLessThan(transactions.length / 3);
  expect(checkpointer.writes.at(-1)).toBe(lastHeight);
});
