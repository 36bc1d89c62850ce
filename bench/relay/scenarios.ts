import type { QueueServiceClient } from '@azure/storage-queue';

import { commitAll, preloadChain } from './chain-load';
import { type LoadReading, measureLoad } from './machine-load';
import { type QueueWatch, rawSendRate } from './queue-rates';
import type { RelayLogSummary } from './relay-log';
import { type RelayLaunch, type RelayProcess, startRelay } from './relay-process';

// The relay's three rate figures, each next to Azurite's raw send rate measured just before it at the
// same concurrency and message count (on a queue of the same Azurite, emptied after), with the machine's
// load during each. The relay's queue is never emptied: each phase counts what it added.

/** What the phases share. */
export interface Bench {
  readonly apiUrl: string;
  readonly queueService: QueueServiceClient;
  readonly watch: QueueWatch;
  readonly concurrency: number;
  readonly relay: RelayLaunch;
  /** The dev node's process, whose CPU counts as the benchmark's own. */
  readonly nodePid: number;
}

/** A rate of the relay against the raw ceiling. */
export interface RateFigure {
  readonly events: number;
  readonly seconds: number;
  readonly perSecond: number;
  readonly rawSendPerSecond: number;
  readonly ratio: number;
  readonly target: 0.9;
  readonly load: LoadReading;
  readonly rawLoad: LoadReading;
}

const ratio = (a: number, b: number): number => Number((a / b).toFixed(2));

async function measureRaw(
  bench: Bench,
  phase: string,
  count: number,
  children: () => number[],
): Promise<{ rate: number; load: LoadReading }> {
  const load = measureLoad(() => [bench.nodePid, ...children()]);
  const rate = await rawSendRate(bench.queueService, `raw-${phase}`, count, bench.concurrency);
  return { rate, load: load() };
}

function figure(
  events: number,
  seconds: number,
  raw: { rate: number; load: LoadReading },
  load: LoadReading,
): RateFigure {
  const perSecond = events / seconds;
  return {
    events,
    seconds: Number(seconds.toFixed(1)),
    perSecond: Math.round(perSecond),
    rawSendPerSecond: Math.round(raw.rate),
    ratio: ratio(perSecond, raw.rate),
    target: 0.9,
    load,
    rawLoad: raw.load,
  };
}

/** Preloads a chain of `count` transactions (not timed against anything; reported for scale). */
export async function preload(
  bench: Bench,
  count: number,
): Promise<{ events: number; seconds: number; load: LoadReading }> {
  const load = measureLoad(() => [bench.nodePid]);
  const started = performance.now();
  await preloadChain(bench.apiUrl, 0, count);
  return { events: count, seconds: Number(((performance.now() - started) / 1000).toFixed(1)), load: load() };
}

/** Starts a relay with no checkpoint on the preloaded chain; times it from holding the lease until every transaction is sent. */
export async function catchUp(bench: Bench, count: number): Promise<{ relay: RelayProcess; figure: RateFigure }> {
  const raw = await measureRaw(bench, 'catch-up', count, () => []);
  const relay = startRelay(bench.relay, () => bench.watch.depth);
  const load = measureLoad(() => [bench.nodePid, relay.pid]);
  const seconds = await catchUpSeconds(bench, relay, count);
  return { relay, figure: figure(count, seconds, raw, load()) };
}

/**
 * Seconds from the relay taking the lease to its "backfill done", which it logs once every send of the catch-up
 * succeeded; resolves only once the queue holds `depth` messages too.
 */
async function catchUpSeconds(bench: Bench, relay: RelayProcess, depth: number): Promise<number> {
  const leaderAt = await relay.leader;
  const [doneAt] = await Promise.all([relay.log.when('backfill done'), bench.watch.until(depth)]);
  return (doneAt - leaderAt) / 1000;
}

/** The live rate, with the rate the transactions were committed at: the relay cannot go faster than that. */
export interface LiveFigure extends RateFigure {
  readonly committedPerSecond: number;
  /** From the last commit until the last message was on the queue: how far behind the relay was. */
  readonly tailSeconds: number;
  /**
   * The rate against the lower of the commit rate and the raw send rate, the most the relay could reach here. The
   * commits come from this process, which also runs Azurite and the dev node, so they may be the slower of the two.
   */
  readonly ratioToCeiling: number;
}

/** Commits `bodies` while the relay runs live; times it from the first post until all are on the queue. */
export async function live(bench: Bench, relay: RelayProcess, bodies: readonly string[]): Promise<LiveFigure> {
  const raw = await measureRaw(bench, 'live', bodies.length, () => [relay.pid]);
  const base = await bench.watch.read();
  const load = measureLoad(() => [bench.nodePid, relay.pid]);
  const started = performance.now();
  await commitAll(bench.apiUrl, bodies);
  const committedSeconds = (performance.now() - started) / 1000;
  const tailSeconds = await bench.watch.until(base + bodies.length);
  const result = figure(bodies.length, committedSeconds + tailSeconds, raw, load());
  const committedPerSecond = bodies.length / committedSeconds;
  return {
    ...result,
    committedPerSecond: Math.round(committedPerSecond),
    tailSeconds: Number(tailSeconds.toFixed(2)),
    ratioToCeiling: ratio(result.perSecond, Math.min(committedPerSecond, raw.rate)),
  };
}

/** The catch-up after a restart, with how long the process took to start and take the lease. */
export interface RestartFigure extends RateFigure {
  readonly startSeconds: number;
  /**
   * Against the first catch-up: `rate`, this rate divided by its rate; `againstRaw`, this ratio to the raw rate
   * divided by its ratio, which discounts how fast Azurite was at each time.
   */
  readonly ratioToCatchUp: { readonly rate: number; readonly againstRaw: number };
  readonly relayPeakRssMb: number;
  readonly relayLog: RelayLogSummary;
}

/**
 * Stops `relay` (SIGTERM: it writes its checkpoint), commits `missed` transactions, then starts a new relay
 * and times it from holding the lease until all of them are sent.
 */
export async function restart(
  bench: Bench,
  relay: RelayProcess,
  missed: number,
  catchUp: RateFigure,
): Promise<RestartFigure> {
  const code = await relay.stop();
  if (code !== 0) throw new Error(`the relay exited with ${String(code)} on SIGTERM`);
  await preloadChain(bench.apiUrl, 1_000_000, missed);
  const raw = await measureRaw(bench, 'restart', missed, () => []);
  const base = await bench.watch.read();
  const spawned = performance.now();
  const next = startRelay(bench.relay, () => bench.watch.depth);
  const load = measureLoad(() => [bench.nodePid, next.pid]);
  const seconds = await catchUpSeconds(bench, next, base + missed);
  const startSeconds = ((await next.leader) - spawned) / 1000;
  const result = figure(missed, seconds, raw, load());
  const relayPeakRssMb = next.peakRssMb();
  await next.stop();
  return {
    ...result,
    startSeconds: Number(startSeconds.toFixed(2)),
    ratioToCatchUp: {
      rate: ratio(result.perSecond, catchUp.perSecond),
      againstRaw: ratio(result.ratio, catchUp.ratio),
    },
    relayPeakRssMb,
    relayLog: next.log.summary,
  };
}
