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
import { createTransaction, postRaw } from '../../helpers/transactions';

// A stop that lands while the relay's idle probe is asking the node about the open block. The probe's read is
// cancelled by the stop; the relay must still confirm that block and checkpoint it, or a restart sends it again.
// The node is real; the one injected fault is that the probe's read of the block answers only when cancelled,
// which is how the stop's timing is made certain (it cannot be produced on purpose otherwise).

/** The node's client, except that a cancellable read of block `height` waits until it is cancelled. */
function probeHangsAt(
  client: BigchainDbClient,
  height: () => number,
  probing: EventEmitter,
): Pick<BigchainDb, 'getInfo' | 'getBlock'> {
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

test('a stop during the idle probe of the open block still confirms and checkpoints that block', async () => {
  const sent = new EventEmitter();
  const probing = new EventEmitter();
  const logged = new EventEmitter();
  let target = -1;
  const checkpointer = new RecordingCheckpointer();
  const client = new BigchainDbClient({ apiUrl: node.apiUrl });
  const relay = new Relay({
    settings: {
      bigchainDbApiUrl: node.apiUrl,
      streamUrl: undefined,
      startHeight: 0,
      sendConcurrency: 4,
      maxBufferedEvents: 100,
      pingIntervalMs: 1_000,
      idleProbeMs: 50,
      reconnectMaxDelayMs: 200,
      backfillBatchBlocks: 5,
      checkpointIntervalMs: 1_000,
    },
    bigchainDb: probeHangsAt(client, () => target, probing),
    connectStream: connectEventStream,
    send: async (text) => void sent.emit('sent', decodeLedgerEvent(text)),
    checkpointer,
    log: ({ msg }) => void logged.emit(msg),
  });
  const live = once(logged, 'relaying live from the Event Stream');
  const running = relay.run(controller.signal);
  await live;

  const transaction = createTransaction(generateKeyPair(), { run: 'stop during probe' });
  const relayed = once(sent, 'sent') as Promise<[LedgerEvent]>;
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
