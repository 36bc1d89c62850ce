import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { type QueueClient, QueueServiceClient } from '@azure/storage-queue';

import { type LocalStorage, startLocalStorage } from '../../../dev/azurite/local-storage';
import type { DevNode } from '../../../dev/bigchaindb/dev-node';
import { spawnRelay } from '../../../dev/stack/relay-process';
import { RELAY_TELEMETRY } from '../../../relay-worker/relay-telemetry';
import { generateKeyPair } from '../../../shared/transaction/signing';
import { startTestNode } from '../../helpers/dev-node';
import { generateTestCertificate, type IngestionRequest, startIngestionServer } from '../../helpers/ingestion-server';
import { waitForQueueLength } from '../../helpers/ledger-queue';
import { RecordingTelemetry } from '../../helpers/recording-telemetry';
import { type RelayHarness, startRelay } from '../../helpers/relay-harness';
import { createTransaction, postRaw, type SignedTransaction } from '../../helpers/transactions';

// What the relay reports to its Telemetry, with real parts (dev node, Azurite) and a recording Telemetry.

const alice = generateKeyPair();
let node: DevNode;
let storage: LocalStorage;
let queue: QueueClient;
let container: ContainerClient;
let telemetry: RecordingTelemetry;

beforeEach(async () => {
  [node, storage] = await Promise.all([startTestNode(), startLocalStorage()]);
  queue = QueueServiceClient.fromConnectionString(storage.connectionString).getQueueClient('ledger-events');
  await queue.create();
  container = BlobServiceClient.fromConnectionString(storage.connectionString).getContainerClient('relay-checkpoints');
  telemetry = new RecordingTelemetry();
});

afterEach(async () => {
  await node.close();
  await storage.close();
});

/** Commits `count` CREATEs one after another (commit mode: one block each). */
async function commitCreates(tag: string, count: number): Promise<SignedTransaction[]> {
  const transactions = Array.from({ length: count }, (_, serial) => createTransaction(alice, { tag, serial }));
  for (const transaction of transactions) expect((await postRaw(node.apiUrl, transaction, 'commit')).status).toBe(202);
  return transactions;
}

const ids = (transactions: readonly SignedTransaction[]): string[] => transactions.map(({ id }) => id);

async function startLiveRelay(): Promise<RelayHarness> {
  const harness = await startRelay({ apiUrl: node.apiUrl, queue, container, telemetry });
  await harness.waitForLog(/^relaying live/);
  return harness;
}

describe('a run', () => {
  test('counts each message by source with its send duration, and reports checkpoint and lag after each checkpoint write', async () => {
    const backfilled = await commitCreates('before', 3);
    const running = await startLiveRelay();
    const streamed = await commitCreates('live', 4);
    await running.waitUntilSent(ids([...backfilled, ...streamed]));
    await running.stop();

    expect(telemetry.sumBy(RELAY_TELEMETRY.relayedEvents, 'source')).toEqual({ backfill: 3, stream: 4 });
    expect(running.relay.counters).toMatchObject({ backfilled: 3, relayed: 4 });
    const sends = telemetry.metric(RELAY_TELEMETRY.sendMs);
    expect(sends.map(({ properties }) => properties?.['source']).sort()).toEqual([
      'backfill',
      'backfill',
      'backfill',
      'stream',
      'stream',
      'stream',
      'stream',
    ]);
    expect(sends.every(({ value }) => value >= 0 && value < 30_000)).toBe(true);

    const heights = telemetry.metric(RELAY_TELEMETRY.checkpointHeight).map(({ value }) => value);
    const checkpoint = running.checkpointer.getHeight() as number;
    expect(heights.at(-1)).toBe(checkpoint);
    expect(heights).toEqual([...heights].sort((a, b) => a - b));
    const lags = telemetry.metric(RELAY_TELEMETRY.lagBlocks).map(({ value }) => value);
    expect(lags).toHaveLength(heights.length);
    expect(lags.every((lag) => lag >= 0)).toBe(true);
    expect(lags.at(-1)).toBe(running.relay.counters.newestKnownHeight - checkpoint);

    expect(telemetry.records.filter(({ kind }) => kind !== 'metric')).toEqual([]);
    expect(telemetry.shutdowns).toBe(0); // the process owns its telemetry, not the relay
  });
});

describe('a silently dead stream', () => {
  test('is reported as a reconnect with reason "ended"; what it missed is counted as backfill', async () => {
    const running = await startLiveRelay();
    const streamed = await commitCreates('live', 2);
    await running.waitUntilSent(ids(streamed));

    node.eventStream.pause();
    const missed = await commitCreates('missed', 3);
    await running.waitUntilSent(ids(missed));
    node.eventStream.resume();
    await running.stop();

    const reconnects = telemetry.events(RELAY_TELEMETRY.reconnect);
    expect(reconnects).toContainEqual({ reason: 'ended', failures: 0 });
    expect(reconnects).toHaveLength(running.relay.counters.reconnects);
    expect(telemetry.sumBy(RELAY_TELEMETRY.relayedEvents, 'source')).toEqual({ stream: 2, backfill: 3 });
  });
});

describe('the relay process', () => {
  test('with a connection string, sends its telemetry under the cloud role relay-worker before it exits, and never logs the string', async () => {
    const certificate = await generateTestCertificate();
    const ingestion = await startIngestionServer({ certificate });
    const tempDir = await mkdtemp(join(tmpdir(), 'relay-telemetry-'));
    try {
      // A child process can trust the test server's certificate the standard way, from its start.
      const caFile = join(tempDir, 'ingestion-ca.pem');
      await writeFile(caFile, certificate.cert);
      const connectionString = `InstrumentationKey=0c0ffee0-0000-4000-8000-00000000abcd;IngestionEndpoint=${ingestion.url}`;
      const relay = spawnRelay({
        BIGCHAINDB_URL: node.url,
        AzureWebJobsStorage: storage.connectionString,
        RELAY_INSTANCE_ID: 'relay-under-test',
        RELAY_LEASE_SECONDS: '15',
        APPLICATIONINSIGHTS_CONNECTION_STRING: connectionString,
        NODE_EXTRA_CA_CERTS: caFile,
      });
      await relay.waitForLog(/^relaying live/);
      const metrics = ingestion.waitForRequest((request: IngestionRequest) =>
        request.body.includes(`"${RELAY_TELEMETRY.relayedEvents}"`),
      );
      await commitCreates('live', 1);
      await waitForQueueLength(queue, 1);

      expect(await relay.stop('SIGTERM')).toEqual({ code: 0, signal: null });
      const envelope = (JSON.parse((await metrics).body) as Record<string, unknown>[]).find((item) =>
        JSON.stringify(item).includes(`"${RELAY_TELEMETRY.relayedEvents}"`),
      );
      expect(envelope).toEqual(
        expect.objectContaining({
          tags: expect.objectContaining({
            'ai.cloud.role': 'relay-worker',
            'ai.cloud.roleInstance': 'relay-under-test',
          }),
          data: {
            baseType: 'MetricData',
            baseData: {
              ver: 2,
              metrics: [
                { name: RELAY_TELEMETRY.relayedEvents, kind: 'Aggregation', value: 1, count: 1, min: 1, max: 1 },
              ],
              properties: { source: 'stream' },
            },
          },
        }),
      );
      expect(relay.output()).not.toContain('0c0ffee0-0000-4000-8000-00000000abcd');
    } finally {
      await ingestion.close();
      await rm(tempDir, { recursive: true, force: true });
    }
  });
});
