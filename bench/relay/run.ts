import { cpus, loadavg, totalmem } from 'node:os';
import { parseArgs } from 'node:util';

import { QueueServiceClient } from '@azure/storage-queue';

import { startLocalStorage } from '../../dev/azurite/local-storage';
import { startDevNode } from '../../dev/bigchaindb/dev-node';
import { signCreates } from './chain-load';
import { QueueWatch } from './queue-rates';
import type { MemorySample } from './relay-process';
import { catchUp, live, preload, restart, type Bench } from './scenarios';

// Relay benchmark: one run prints every figure as JSON. A chain of --preload transactions is caught up
// by a relay started with no checkpoint (the memory figure covers this and the live phase, in one
// process), --live transactions are relayed as they commit, then the relay is stopped, --missed
// transactions are committed, and a new relay catches up. Each rate is set against Azurite's raw send
// rate at the same concurrency, measured just before it. The relay is the compiled worker in its own
// process (scenarios.ts, relay-process.ts); Azurite and the dev node (in memory) run in this one.

const { values } = parseArgs({
  options: {
    preload: { type: 'string', default: '100000' },
    live: { type: 'string', default: '10000' },
    missed: { type: 'string', default: '10000' },
    concurrency: { type: 'string', default: '32' },
  },
});
const counts = { preload: Number(values.preload), live: Number(values.live), missed: Number(values.missed) };
const concurrency = Number(values.concurrency);

/** About ten samples spread over the run, plus the one with the highest RSS. */
function timeline(samples: readonly MemorySample[]): MemorySample[] {
  const step = Math.max(1, Math.floor(samples.length / 10));
  const picked = samples.filter((_, i) => i % step === 0 || i === samples.length - 1);
  const peak = samples.reduce<MemorySample | undefined>((best, s) => (best === undefined || s.rssMb > best.rssMb ? s : best), undefined);
  return peak && !picked.includes(peak) ? [...picked, peak].sort((a, b) => a.seconds - b.seconds) : picked;
}

async function main(): Promise<void> {
  const loadAtStart = loadavg().map((value) => Number(value.toFixed(2)));
  const node = await startDevNode({ port: 0, wsPort: 0 });
  const storage = await startLocalStorage();
  const service = QueueServiceClient.fromConnectionString(storage.connectionString);
  const rawQueue = service.getQueueClient('raw-ceiling');
  const relayQueue = service.getQueueClient('relay-bench');
  await rawQueue.create();
  await relayQueue.create();
  const watch = new QueueWatch(relayQueue);
  const bench: Bench = {
    apiUrl: node.apiUrl,
    rawQueue,
    watch,
    concurrency,
    relayEnv: {
      BIGCHAINDB_URL: node.url,
      AzureWebJobsStorage: storage.connectionString,
      LEDGER_EVENTS_QUEUE: 'relay-bench',
      RELAY_SEND_CONCURRENCY: String(concurrency),
      RELAY_IDLE_PROBE_MS: '1000',
    },
  };
  try {
    const preloaded = await preload(bench, counts.preload);
    const liveBodies = signCreates(500_000, counts.live);
    const first = await catchUp(bench, counts.preload);
    const liveFigure = await live(bench, first.relay, liveBodies);
    const memory = {
      events: counts.preload + counts.live,
      peakRssMb: first.relay.peakRssMb(),
      endRssMb: first.relay.samples.at(-1)?.rssMb,
      peakHeapUsedMb: Math.max(...first.relay.samples.map((s) => s.heapUsedMb)),
      target: 150,
      timeline: timeline(first.relay.samples),
    };
    const restarted = await restart(bench, first.relay, counts.missed, first.figure.perSecond);
    console.log(
      JSON.stringify(
        {
          benchmark: 'relay',
          date: new Date().toISOString(),
          machine: { cpus: cpus().length, memoryGb: Math.round(totalmem() / 2 ** 30), node: process.version, loadavgAtStart: loadAtStart },
          concurrency,
          preload: preloaded,
          catchUp: first.figure,
          live: liveFigure,
          restart: restarted,
          memory,
          notes: [
            'relay: compiled dist/relay-worker/main.js in its own process; RSS from /proc (VmHWM = peak), heap over IPC',
            'load: os.loadavg() at the end of each measurement (includes this benchmark); otherProcessesCores = CPU used by everything else',
            'live rate is also bounded by how fast this process commits transactions to the dev node',
          ],
        },
        null,
        2,
      ),
    );
  } finally {
    await watch.stop();
    await node.close();
    await storage.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
