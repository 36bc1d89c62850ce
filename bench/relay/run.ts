import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { parseArgs } from 'node:util';

import { QueueClient, QueueServiceClient } from '@azure/storage-queue';
import { Transaction } from 'bigchaindb-driver';

import { startLocalStorage, type LocalStorage } from '../../dev/azurite/local-storage';
import { startDevNode, type DevNode } from '../../dev/bigchaindb/dev-node';
import { encodeLedgerEvent } from '../../shared/ledger-event';
import { generateKeyPair, signTransaction } from '../../shared/transaction/signing';

// Relay throughput: catch-up (a preloaded chain, relay started from no checkpoint) and live
// (transactions committed while the relay runs), each against Azurite's raw send rate at the same
// concurrency in the same run, plus the relay process's peak RSS. The relay runs as its own process,
// as in Azure; Azurite and the dev node run in this one.

const { values } = parseArgs({
  options: {
    preload: { type: 'string', default: '10000' },
    live: { type: 'string', default: '5000' },
    concurrency: { type: 'string', default: '32' },
  },
});
const preload = Number(values.preload);
const live = Number(values.live);
const concurrency = Number(values.concurrency);

function presign(count: number): string[] {
  const company = generateKeyPair();
  return Array.from({ length: count }, (_, i) => {
    const output = Transaction.makeOutput(Transaction.makeEd25519Condition(company.publicKey));
    const asset = { vin: `WVWZZZ1KZAW${String(i).padStart(7, '0')}`, make: 'Volkswagen' };
    return JSON.stringify(signTransaction(Transaction.makeCreateTransaction(asset, { n: i }, [output], company.publicKey), [company]));
  });
}

async function postAll(node: DevNode, bodies: string[]): Promise<void> {
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const url = new URL(`${node.apiUrl}transactions?mode=commit`);
  let next = 0;
  const post = (body: string): Promise<void> =>
    new Promise((resolve, reject) => {
      const req = request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json' } }, (res) => {
        res.resume();
        res.on('end', () => (res.statusCode === 202 ? resolve() : reject(new Error(`HTTP ${res.statusCode}`))));
      });
      req.on('error', reject);
      req.end(body);
    });
  await Promise.all(Array.from({ length: 64 }, async () => {
    while (next < bodies.length) await post(bodies[next++] as string);
  }));
  agent.destroy();
}

/** Azurite's own ceiling: `count` sends of a ledger-event-sized message with `concurrency` in flight. */
async function rawSendRate(queue: QueueClient, count: number): Promise<number> {
  const text = encodeLedgerEvent({ transaction_id: 'a'.repeat(64), asset_id: 'b'.repeat(64), height: 1, source: 'stream', relayed_at: new Date().toISOString() });
  let next = 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next++ < count) await queue.sendMessage(text);
  }));
  return count / ((performance.now() - started) / 1000);
}

async function queueDepth(queue: QueueClient): Promise<number> {
  return (await queue.getProperties()).approximateMessagesCount ?? 0;
}

/** Seconds until the queue holds `count` messages (polled: the relay is another process). */
async function untilDepth(queue: QueueClient, count: number): Promise<number> {
  const started = performance.now();
  while ((await queueDepth(queue)) < count) await new Promise((resolve) => setTimeout(resolve, 50));
  return (performance.now() - started) / 1000;
}

function startRelay(node: DevNode, storage: LocalStorage): { child: ChildProcess; ready: Promise<void> } {
  const child = spawn(process.execPath, ['--import', 'tsx', 'relay-worker/main.ts'], {
    env: {
      PATH: process.env['PATH'],
      BIGCHAINDB_URL: node.url,
      AzureWebJobsStorage: storage.connectionString,
      RELAY_SEND_CONCURRENCY: String(concurrency),
      RELAY_IDLE_PROBE_MS: '1000',
      LEDGER_EVENTS_QUEUE: 'relay-bench',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  const ready = new Promise<void>((resolve) => child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()).includes('leader lease acquired') && resolve()));
  return { child, ready };
}

function peakRssMb(pid: number): number {
  const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Math.round(Number(match?.[1] ?? 0) / 1024);
}

async function main(): Promise<void> {
  const preloaded = presign(preload);
  const liveBodies = presign(live);
  const node = await startDevNode({ port: 0, wsPort: 0 });
  const storage = await startLocalStorage();
  const service = QueueServiceClient.fromConnectionString(storage.connectionString);
  const rawQueue = service.getQueueClient('raw-ceiling');
  await rawQueue.create();
  const queue = service.getQueueClient('relay-bench');
  await queue.create();
  try {
    await postAll(node, preloaded);
    const rawCatchUp = await rawSendRate(rawQueue, preload);
    const relay = startRelay(node, storage);
    await relay.ready;
    const catchUpSeconds = await untilDepth(queue, preload);

    await rawQueue.clearMessages();
    const rawLive = await rawSendRate(rawQueue, live);
    const liveStarted = performance.now();
    await postAll(node, liveBodies);
    await untilDepth(queue, preload + live);
    const liveSeconds = (performance.now() - liveStarted) / 1000;
    const rss = peakRssMb(relay.child.pid as number);
    relay.child.kill('SIGTERM');
    await once(relay.child, 'exit');

    const catchUpRate = preload / catchUpSeconds;
    const liveRate = live / liveSeconds;
    console.log(JSON.stringify({
      benchmark: 'relay',
      node: process.version,
      concurrency,
      catchUp: { events: preload, perSecond: Math.round(catchUpRate), rawSendPerSecond: Math.round(rawCatchUp), ratio: Number((catchUpRate / rawCatchUp).toFixed(2)), target: 0.9 },
      live: { events: live, perSecond: Math.round(liveRate), rawSendPerSecond: Math.round(rawLive), ratio: Number((liveRate / rawLive).toFixed(2)), target: 0.9 },
      relayPeakRssMb: rss,
      note: 'live rate is also bounded by how fast this process commits transactions to the dev node',
    }, null, 2));
  } finally {
    await node.close();
    await storage.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
