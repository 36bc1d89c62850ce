import { cpus, loadavg, totalmem } from 'node:os';
import { parseArgs } from 'node:util';

import { QueueServiceClient } from '@azure/storage-queue';

import { startLocalStorage } from '../../dev/azurite/local-storage';
import { spawnDevNode } from '../../dev/stack/dev-node-process';
import { signCreates } from './chain-load';
import { summarizeMemory } from './memory-summary';
import { QueueWatch } from './queue-rates';
import { DEPLOYED_NODE_OPTIONS, type RelayEntry } from './relay-process';
import { type Bench, catchUp, live, preload, restart } from './scenarios';

// Relay benchmark: one run prints every figure as JSON. A chain of --preload transactions is caught up
// by a relay started with no checkpoint (the memory figure covers this and the live phase, in one
// process), --live transactions are relayed as they commit, then the relay is stopped, --missed
// transactions are committed, and a new relay catches up. Each rate is set against Azurite's raw send
// rate at the same concurrency, measured just before it. The relay is the compiled worker in its own
// process (scenarios.ts, relay-process.ts), the dev node (in memory) in another, so that the live phase's commits
// are not slowed by Azurite, which runs in this one.

const { values } = parseArgs({
  options: {
    preload: { type: 'string', default: '100000' },
    live: { type: 'string', default: '10000' },
    missed: { type: 'string', default: '10000' },
    concurrency: { type: 'string', default: '32' },
    'relay-entry': { type: 'string', default: 'dist' },
    'relay-node-args': { type: 'string', default: DEPLOYED_NODE_OPTIONS },
  },
});
const counts = { preload: Number(values.preload), live: Number(values.live), missed: Number(values.missed) };
const concurrency = Number(values.concurrency);
const relayNodeArgs = values['relay-node-args'].split(' ').filter((arg) => arg !== '');
const relayEntry = parseEntry(values['relay-entry']);

function parseEntry(value: string): RelayEntry {
  if (value === 'dist' || value === 'package') return value;
  throw new Error('--relay-entry must be "dist" or "package"');
}

async function main(): Promise<void> {
  const loadAtStart = loadavg().map((value) => Number(value.toFixed(2)));
  const node = await spawnDevNode();
  // Azurite's sweep would take a core from 100,000 messages on, and hours after a clear (local-storage.ts, queue-rates.ts).
  const storage = await startLocalStorage({ queueGarbageCollection: false });
  const service = QueueServiceClient.fromConnectionString(storage.connectionString);
  const relayQueue = service.getQueueClient('relay-bench');
  await relayQueue.create();
  const watch = new QueueWatch(relayQueue);
  const bench: Bench = {
    apiUrl: node.apiUrl,
    nodePid: node.child.pid as number,
    queueService: service,
    watch,
    concurrency,
    relay: {
      entry: relayEntry,
      nodeArgs: relayNodeArgs,
      env: {
        BIGCHAINDB_URL: node.url,
        AzureWebJobsStorage: storage.connectionString,
        LEDGER_EVENTS_QUEUE: 'relay-bench',
        RELAY_SEND_CONCURRENCY: String(concurrency),
        RELAY_IDLE_PROBE_MS: '1000',
      },
    },
  };
  // Each phase's figure also goes to stderr as it is measured: a long run that fails late still says something.
  const phase = async <T>(name: string, run: () => Promise<T>): Promise<T> => {
    process.stderr.write(`${new Date().toISOString()} ${name}…\n`);
    try {
      const result = await run();
      process.stderr.write(`${JSON.stringify({ [name]: (result as { figure?: unknown }).figure ?? result })}\n`);
      return result;
    } catch (error: unknown) {
      throw new Error(`${name} failed`, { cause: error });
    }
  };
  try {
    const preloaded = await phase('preload', () => preload(bench, counts.preload));
    const liveBodies = signCreates(500_000, counts.live);
    const first = await phase('catchUp', () => catchUp(bench, counts.preload));
    const liveFigure = await phase('live', () => live(bench, first.relay, liveBodies));
    const memory = summarizeMemory(first.relay, counts.preload + counts.live);
    const restarted = await phase('restart', () => restart(bench, first.relay, counts.missed, first.figure));
    const firstRelayLog = first.relay.log.summary;
    console.log(
      JSON.stringify(
        {
          benchmark: 'relay',
          date: new Date().toISOString(),
          machine: {
            cpus: cpus().length,
            memoryGb: Math.round(totalmem() / 2 ** 30),
            node: process.version,
            loadavgAtStart: loadAtStart,
          },
          concurrency,
          relay: { entry: relayEntry, nodeArgs: relayNodeArgs },
          preload: preloaded,
          catchUp: first.figure,
          live: liveFigure,
          restart: restarted,
          memory,
          relayLog: firstRelayLog,
          notes: [
            'relay: in its own process (entry dist: dist/relay-worker/main.js; package: the WebJob bundle via run.js); RSS from /proc (VmHWM = peak), heap over IPC',
            'load: os.loadavg() at the end of each measurement (includes this benchmark); otherProcessesCores = CPU used by everything else',
            'live rate is also bounded by how fast this process commits transactions to the dev node',
          ],
        },
        null,
        2,
      ),
    );
  } finally {
    await node.stop('SIGTERM');
    await storage.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
