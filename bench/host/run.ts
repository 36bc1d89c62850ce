import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import { startHost } from '../../dev/functions-host/host';
import { readHostJson } from '../../dev/functions-host/host-config';
import { driveLoad, type LoadResult, round, startBareServer } from './http-load';
import { startLibraryServer } from './library-server';
import { drainRaw, type DrainResult, drainThroughHost, fillFreshQueue } from './queue-drain';

// The local Functions host against the raw ceiling, measured in the same run and the same process:
// HTTP requests/s through the host against the same handler behind a bare node:http server (target ≥ 0.8),
// and the drain rate of a no-op queue function against Azurite's raw receive-and-delete rate from the same
// queue depth (target ≥ 0.9). Client, servers, host and Azurite share this process's one thread, so every
// figure includes the client's own cost. Each measurement is repeated `--rounds` times, alternating which
// side goes first, and reported as the median, because a shared 2-core box drifts by ±50 % between runs.

const { values } = parseArgs({
  options: {
    requests: { type: 'string', default: '10000' },
    concurrency: { type: 'string', default: '32' },
    warmup: { type: 'string', default: '2000' },
    messages: { type: 'string', default: '2000' },
    rounds: { type: 'string', default: '3' },
  },
});
const requests = Number(values.requests);
const concurrency = Number(values.concurrency);
const warmup = Number(values.warmup);
const messages = Number(values.messages);
const rounds = Number(values.rounds);

const appRoot = join(__dirname, 'app');
const QUEUE_NAME = 'bench-items';
const QUEUE_FUNCTION = 'drain';
const QUEUE_WARMUP_MESSAGES = 300;
// eslint-disable-next-line @typescript-eslint/no-require-imports -- the bench app is plain JavaScript, as a deployed one
const { pingBody } = require(join(appRoot, 'src/ping-body.js')) as { pingBody: () => unknown };

const median = (figures: readonly number[]): number => {
  const sorted = [...figures].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[middle] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
};

/** Runs `measure` for each side `rounds` times, the order reversed every other round. */
async function alternate<S extends string, R>(
  sides: readonly S[],
  measure: (side: S) => Promise<R>,
): Promise<Record<S, R[]>> {
  const results = Object.fromEntries(sides.map((side) => [side, [] as R[]])) as Record<S, R[]>;
  for (let i = 0; i < rounds; i++) {
    for (const side of i % 2 === 0 ? sides : [...sides].reverse()) results[side].push(await measure(side));
  }
  return results;
}

async function measureHttp(): Promise<Record<string, unknown>> {
  const bare = await startBareServer(pingBody);
  const library = await startLibraryServer(appRoot, 'ping');
  // The queue function is off here: it would need storage, and its idle polling is not what is measured.
  const host = await startHost({ appRoot, port: 0, settings: { [`AzureWebJobs.${QUEUE_FUNCTION}.Disabled`]: 'true' } });
  try {
    const urls = { bare: bare.url, library: library.url, host: `${host.url}/api/ping` };
    for (const url of Object.values(urls)) await driveLoad(url, warmup, concurrency);
    const runs = await alternate(['bare', 'library', 'host'] as const, (side) =>
      driveLoad(urls[side], requests, concurrency),
    );
    const rps = (side: keyof typeof runs): number => median(runs[side].map((run) => run.requestsPerSecond));
    const cpuUs = (side: keyof typeof runs): number =>
      Math.round((median(runs[side].map((run) => run.cpuSeconds)) * 1e6) / requests);
    const latency = (side: keyof typeof runs): { p50: number; p99: number } => ({
      p50: median(runs[side].map((run: LoadResult) => run.p50Ms)),
      p99: median(runs[side].map((run: LoadResult) => run.p99Ms)),
    });
    const ratios = runs.host.map((run, i) => round(run.requestsPerSecond / (runs.bare[i]?.requestsPerSecond ?? NaN)));
    return {
      requests,
      concurrency,
      rounds,
      bareRps: rps('bare'),
      hostRps: rps('host'),
      ratio: median(ratios),
      target: 0.8,
      ratioPerRound: ratios,
      latencyMs: { bare: latency('bare'), host: latency('host') },
      // CPU of the whole process per request, client included: steadier than requests/s on a shared box.
      cpuMicrosPerRequest: { bare: cpuUs('bare'), library: cpuUs('library'), host: cpuUs('host') },
      // The function called through @azure/functions alone, without the host: splits the gap into library and host.
      libraryOnly: {
        rps: rps('library'),
        ratioToBare: round(rps('library') / rps('bare')),
        hostRatioToLibrary: round(rps('host') / rps('library')),
      },
    };
  } finally {
    await host.close();
    await library.close();
    await bare.close();
  }
}

/** One drain from a fresh Azurite holding `count` messages: raw (Azurite's ceiling) or through the host. */
async function drainOnce(side: 'raw' | 'host', count: number): Promise<DrainResult> {
  const filled = await fillFreshQueue(QUEUE_NAME, count);
  try {
    return side === 'raw'
      ? await drainRaw(filled, count)
      : await drainThroughHost(filled, count, appRoot, QUEUE_FUNCTION);
  } finally {
    await filled.storage.close();
  }
}

async function measureQueue(): Promise<Record<string, unknown>> {
  // Azurite's receive and delete paths run cold in the first drain of a process; warm both sides first.
  await drainOnce('raw', QUEUE_WARMUP_MESSAGES);
  await drainOnce('host', QUEUE_WARMUP_MESSAGES);
  const runs = await alternate(['raw', 'host'] as const, (side) => drainOnce(side, messages));
  const ratios = runs.host.map((run, i) => round(run.perSecond / (runs.raw[i]?.perSecond ?? NaN)));
  const { batchSize, newBatchThreshold } = readHostJson(appRoot).queues;
  return {
    messages,
    rounds,
    rawDrainPerSecond: median(runs.raw.map((run) => run.perSecond)),
    hostDrainPerSecond: median(runs.host.map((run) => run.perSecond)),
    ratio: median(ratios),
    target: 0.9,
    ratioPerRound: ratios,
    perSecondPerRound: { raw: runs.raw.map((run) => run.perSecond), host: runs.host.map((run) => run.perSecond) },
    cpuMillisPerMessage: {
      raw: round((median(runs.raw.map((run) => run.cpuSeconds)) * 1000) / messages),
      host: round((median(runs.host.map((run) => run.cpuSeconds)) * 1000) / messages),
    },
    // Every drain starts from `messages` deep: Azurite's receive and delete cost grows with the depth.
    remainingAfterDrain: Math.max(...runs.raw.map((run) => run.remaining), ...runs.host.map((run) => run.remaining)),
    raw: 'receiveMessages(32), then its deletes concurrently, one batch after another',
    // The default threshold is batchSize/2 × processors, so up to batchSize + threshold messages are in flight.
    hostSettings: {
      batchSize,
      newBatchThreshold,
      maxInFlight: batchSize + newBatchThreshold,
      processors: availableParallelism(),
    },
  };
}

async function main(): Promise<void> {
  const http = await measureHttp();
  const queue = await measureQueue();
  console.log(JSON.stringify({ benchmark: 'host', node: process.version, http, queue }, null, 2));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
