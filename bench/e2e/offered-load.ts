import { setTimeout as delay } from 'node:timers/promises';

import type { SignedTransaction } from '../../shared/leasing/car-transactions';
import type { E2eStack } from '../../test/helpers/e2e-stack';
import { postTransaction } from '../../test/helpers/lease-load';

// The offered-load phase: leases committed at a fixed rate (open loop: a slow answer does not delay the next
// lease), and for each the time from its commit to the bench receiving its premium-changes message. The first
// leases warm the stack up (the host's polling back-off from idle, code paths not yet compiled, connections not yet
// open) and are reported apart from the measured ones that follow them without a pause.

/** Latency percentiles in milliseconds. */
export interface Percentiles {
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly max: number;
}

/** What the offered-load phase measured. */
export interface OfferedLoadResult {
  /** The leases before the measured ones, at the same rate: from a stack that was idle to its steady state. */
  readonly warmUp: { readonly leases: number; readonly commitToAnnouncementMs: Percentiles };
  /** The measured leases; the figures below are theirs. */
  readonly leases: number;
  readonly offeredPerSecond: number;
  /** Commits per second actually achieved, first to last commit answer. */
  readonly committedPerSecond: number;
  /** Commit (the commit-mode POST answered) to the bench receiving the lease's premium-changes message. */
  readonly commitToAnnouncementMs: Percentiles;
  /**
   * Where the time goes, from the premium rows (wall clocks of the bench, the relay and the function, all on this
   * machine): commit to the relay's send (`relayedAt`), the relay's send to the function pricing the lease
   * (`computedAt`: queue wait, the host's receive and the function's reads), and pricing to the bench receiving
   * the announcement (storing the row, sending and marking it, the consumer's receive).
   */
  readonly breakdownMs: {
    readonly commitToRelayed: Percentiles;
    readonly relayedToComputed: Percentiles;
    readonly computedToAnnouncement: Percentiles;
  };
  /** Leases without a premium after the wait. */
  readonly missing: number;
}

/**
 * Posts `warmUp` then `measured` leases in commit mode at `perSecond`, then waits (at most `waitMs`) for every
 * premium-changes message, and reads each measured premium row's `computedAt`.
 *
 * @throws Error when a POST is not answered 202.
 */
export async function runOfferedLoad(
  stack: E2eStack,
  leases: { readonly warmUp: readonly SignedTransaction[]; readonly measured: readonly SignedTransaction[] },
  perSecond: number,
  waitMs: number,
): Promise<OfferedLoadResult> {
  const committedAt = await postPaced(stack, [...leases.warmUp, ...leases.measured], perSecond);
  const measuredIds = leases.measured.map(({ id }) => id);
  const commits = measuredIds.map((id) => committedAt.get(id)?.monotonic ?? Number.NaN);
  const committedPerSecond = (measuredIds.length - 1) / ((Math.max(...commits) - Math.min(...commits)) / 1000);

  await Promise.race([stack.waitForAnnounced([...committedAt.keys()]), delay(waitMs)]);
  // The announcement log comes after the send; the consumer is woken by it and receives within a round trip.
  await stack.premiumChanges.drain();
  const seen = stack.premiumChanges.firstSeenAt;
  const toAnnouncement = (ids: readonly string[]): number[] =>
    ids.flatMap((id) => {
      const at = seen.get(id);
      return at === undefined ? [] : [at - (committedAt.get(id)?.monotonic ?? at)];
    });
  const measured = toAnnouncement(measuredIds);
  return {
    warmUp: {
      leases: leases.warmUp.length,
      commitToAnnouncementMs: percentiles(toAnnouncement(leases.warmUp.map(({ id }) => id))),
    },
    leases: measuredIds.length,
    offeredPerSecond: perSecond,
    committedPerSecond: round(committedPerSecond),
    commitToAnnouncementMs: percentiles(measured),
    breakdownMs: await breakdown(stack, new Set(measuredIds), committedAt, seen),
    missing: measuredIds.length - measured.length,
  };
}

/** Posts `leases` in commit mode, paced at `perSecond`; resolves with when each commit was answered. */
async function postPaced(
  stack: E2eStack,
  leases: readonly SignedTransaction[],
  perSecond: number,
): Promise<Map<string, { monotonic: number; wall: number }>> {
  const committedAt = new Map<string, { monotonic: number; wall: number }>();
  const intervalMs = 1000 / perSecond;
  const started = performance.now();
  const posts: Promise<void>[] = [];
  for (const [index, lease] of leases.entries()) {
    // Paced against the start, not the previous post, so timer lateness does not lower the offered rate.
    const due = started + index * intervalMs - performance.now();
    if (due > 0) await delay(due);
    posts.push(
      postTransaction(stack.node.apiUrl, lease, 'commit').then(({ status, text }) => {
        if (status !== 202) throw new Error(`POST of lease ${lease.id} answered ${status}: ${text}`);
        committedAt.set(lease.id, { monotonic: performance.now(), wall: Date.now() });
      }),
    );
  }
  await Promise.all(posts);
  return committedAt;
}

/** The stages of each lease's latency, from its premium row. */
async function breakdown(
  stack: E2eStack,
  ids: ReadonlySet<string>,
  committedAt: ReadonlyMap<string, { wall: number }>,
  seen: ReadonlyMap<string, number>,
): Promise<OfferedLoadResult['breakdownMs']> {
  const stages = {
    commitToRelayed: [] as number[],
    relayedToComputed: [] as number[],
    computedToAnnouncement: [] as number[],
  };
  const rows = stack.services.premiums.listEntities<{ computedAt?: string; relayedAt?: string }>({
    queryOptions: { select: ['RowKey', 'computedAt', 'relayedAt'] },
  });
  for await (const row of rows) {
    const id = String(row.rowKey);
    if (!ids.has(id)) continue;
    const committed = committedAt.get(id)?.wall;
    const announced = seen.get(id);
    if (
      committed === undefined ||
      announced === undefined ||
      row.computedAt === undefined ||
      row.relayedAt === undefined
    )
      continue;
    const [relayed, computed] = [Date.parse(row.relayedAt), Date.parse(row.computedAt)];
    stages.commitToRelayed.push(relayed - committed);
    stages.relayedToComputed.push(computed - relayed);
    stages.computedToAnnouncement.push(performance.timeOrigin + announced - computed);
  }
  return {
    commitToRelayed: percentiles(stages.commitToRelayed),
    relayedToComputed: percentiles(stages.relayedToComputed),
    computedToAnnouncement: percentiles(stages.computedToAnnouncement),
  };
}

/** p50, p95, p99 and max of `values` (nearest rank), rounded to 0.1 ms; all 0 when there are none. */
export function percentiles(values: readonly number[]): Percentiles {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (p: number): number =>
    round(sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0);
  return { p50: at(50), p95: at(95), p99: at(99), max: round(sorted.at(-1) ?? 0) };
}

/** One decimal. */
export function round(value: number): number {
  return Math.round(value * 10) / 10;
}
