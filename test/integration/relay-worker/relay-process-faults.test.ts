import { BlobServiceClient } from '@azure/storage-blob';
import { QueueServiceClient } from '@azure/storage-queue';

import { type LocalStorage, startLocalStorage } from '../../../dev/azurite/local-storage';
import type { DevNode } from '../../../dev/bigchaindb/dev-node';
import { type RelayProcess, spawnRelay } from '../../../dev/stack/relay-process';
import { BlobCheckpointStore } from '../../../shared/blob-checkpoint-store';
import type { LedgerEvent } from '../../../shared/ledger-event';
import { generateKeyPair } from '../../../shared/transaction/signing';
import { startTestNode } from '../../helpers/dev-node';
import { drainLedgerEvents, postConcurrently, waitForQueueLength } from '../../helpers/ledger-queue';
import { createTransaction, postRaw, type SignedTransaction } from '../../helpers/transactions';

// The relay as the WebJob runs it, killed without warning: no shutdown code runs, its lease is left to expire
// (RELAY_LEASE_SECONDS=15, the shortest Azure allows), and the restarted or standby instance must lose nothing.

const alice = generateKeyPair();
let node: DevNode;
let storage: LocalStorage;
let relays: RelayProcess[];

beforeEach(async () => {
  [node, storage] = await Promise.all([startTestNode(), startLocalStorage()]);
  relays = [];
});

afterEach(async () => {
  await Promise.all(relays.map((relay) => relay.stop('SIGKILL')));
  await node.close();
  await storage.close();
});

/** Starts a relay process named `instanceId` against this test's node and storage. */
function startRelayProcess(instanceId: string): RelayProcess {
  const relay = spawnRelay({
    BIGCHAINDB_URL: node.url,
    AzureWebJobsStorage: storage.connectionString,
    RELAY_INSTANCE_ID: instanceId,
    RELAY_IDLE_PROBE_MS: '200',
    RELAY_LEASE_SECONDS: '15',
  });
  relays.push(relay);
  return relay;
}

const queueClient = () =>
  QueueServiceClient.fromConnectionString(storage.connectionString).getQueueClient('ledger-events');
const checkpointStore = () =>
  new BlobCheckpointStore({
    container: BlobServiceClient.fromConnectionString(storage.connectionString).getContainerClient('relay-checkpoints'),
    blobName: 'ledger-events/checkpoint.json',
  });
const sorted = (values: Iterable<string>): string[] => [...values].sort();

/** Every message of each transaction id. */
function eventsById(events: readonly LedgerEvent[]): Map<string, LedgerEvent[]> {
  const byId = new Map<string, LedgerEvent[]>();
  for (const event of events) byId.set(event.transaction_id, [...(byId.get(event.transaction_id) ?? []), event]);
  return byId;
}

test('after a hard stop in the middle of 2,000 transactions a restarted relay puts every one on the queue; only blocks above the checkpoint repeat', async () => {
  const transactions = Array.from({ length: 2_000 }, (_, serial) =>
    createTransaction(alice, { run: 'hard stop', serial }),
  );
  const last = transactions.at(-1) as SignedTransaction;
  const queue = queueClient();
  const crashed = startRelayProcess('relay-before-the-crash');
  await crashed.waitForLog(/^relaying live/);

  // Async mode, 32 in flight; the last in commit mode, so that it returns once every one is in a block.
  const posting = postConcurrently(node.apiUrl, transactions.slice(0, -1), 'async', 32).then(() =>
    postRaw(node.apiUrl, last, 'commit'),
  );
  await waitForQueueLength(queue, 300);
  expect(await crashed.stop('SIGKILL')).toEqual({ code: null, signal: 'SIGKILL' });
  expect((await posting).status).toBe(202);
  expect(crashed.entries.map(({ msg }) => msg)).not.toContain('shutting down');
  const checkpointAtCrash = (await checkpointStore().read())?.height ?? -1;

  const restarted = startRelayProcess('relay-after-the-crash');
  // It waits for the crashed relay's lease to expire, then backfills from the checkpoint.
  await restarted.waitForLog(/^leader lease acquired/);
  await restarted.waitForLog(/^relaying live/);
  expect(await restarted.stop('SIGTERM')).toEqual({ code: 0, signal: null });
  const stopped = await restarted.waitForLog(/^relay stopped$/);

  const byId = eventsById(await drainLedgerEvents(queue));
  expect(sorted(byId.keys())).toEqual(sorted(transactions.map(({ id }) => id)));
  let duplicates = 0;
  let aboveCheckpoint = 0;
  for (const events of byId.values()) {
    const [{ height }] = events as [LedgerEvent];
    expect(events.map((event) => event.height)).toEqual(events.map(() => height));
    if (height <= checkpointAtCrash) {
      // The checkpoint covers it: it was on the queue before the crash and was not sent again.
      expect(events).toHaveLength(1);
    } else {
      // Above the checkpoint: backfilled after the restart, and perhaps sent before the crash too.
      aboveCheckpoint++;
      expect(events.filter(({ source }) => source === 'backfill').length).toBeGreaterThanOrEqual(1);
      expect(events.length).toBeLessThanOrEqual(2);
      duplicates += events.length - 1;
    }
  }
  expect([...byId.values()].flat()).toHaveLength(transactions.length + duplicates);
  expect(stopped).toMatchObject({ relayed: 0, backfilled: aboveCheckpoint });
  expect(aboveCheckpoint).toBeGreaterThan(0);
}, 90_000);

test('of two relays started together one leads; when it is killed the other takes over once the lease expires and relays what was committed meanwhile', async () => {
  const queue = queueClient();
  const pair = [startRelayProcess('relay-a'), startRelayProcess('relay-b')];
  const roles = await Promise.all(
    pair.map(async (relay) =>
      (await relay.waitForLog(/^(leader lease acquired|standing by)/)).msg.startsWith('standing by')
        ? 'standby'
        : 'leader',
    ),
  );
  expect(sorted(roles)).toEqual(['leader', 'standby']);
  const [leader, standby] = (roles[0] === 'leader' ? pair : [...pair].reverse()) as [RelayProcess, RelayProcess];
  expect(await standby.waitForLog(/^standing by/)).toMatchObject({
    level: 'info',
    msg: 'standing by: the leader lease is held by another instance',
    holder: leader === pair[0] ? 'relay-a' : 'relay-b',
  });
  await leader.waitForLog(/^relaying live/);
  const before = createTransaction(alice, { run: 'failover', when: 'before the kill' });
  expect((await postRaw(node.apiUrl, before, 'commit')).status).toBe(202);
  await waitForQueueLength(queue, 1);

  const killedAt = performance.now();
  expect(await leader.stop('SIGKILL')).toEqual({ code: null, signal: 'SIGKILL' });
  const after = [1, 2].map((serial) => createTransaction(alice, { run: 'failover', when: 'after the kill', serial }));
  for (const transaction of after) expect((await postRaw(node.apiUrl, transaction, 'commit')).status).toBe(202);
  await standby.waitForLog(/^leader lease acquired/);
  const takeoverMs = performance.now() - killedAt;
  await standby.waitForLog(/^relaying live/);
  expect(await standby.stop('SIGTERM')).toEqual({ code: 0, signal: null });

  const ids = (await drainLedgerEvents(queue)).map(({ transaction_id }) => transaction_id);
  expect(sorted(new Set(ids))).toEqual(sorted([before, ...after].map(({ id }) => id)));
  // The leader renewed its 15 s lease every 5 s, so it outlived the leader by 10 s at least.
  expect(takeoverMs).toBeGreaterThanOrEqual(9_000);
  for (const relay of pair)
    expect(relay.entries.filter(({ msg }) => /^leader lease acquired/.test(msg))).toHaveLength(1);
}, 60_000);
