import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';

// How busy the machine was during a measurement, for figures taken on a shared machine. The load
// average counts this benchmark's own processes too, so the CPU time used by every other process is
// measured as well: total busy time from /proc/stat minus this process and the given children.

/** Clock ticks per second of /proc (USER_HZ; 100 on Linux). */
const TICKS_PER_SECOND = 100;

/** Load while a figure was measured. */
export interface LoadReading {
  /** `os.loadavg()` at the end of the measurement: 1, 5 and 15 minutes. */
  readonly loadavg: readonly number[];
  /** Average CPU cores used by processes other than the benchmark's own, during the measurement. */
  readonly otherProcessesCores: number;
}

function busyTicks(): number {
  const fields = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').trim().split(/\s+/).slice(1).map(Number);
  const total = fields.reduce((sum, value) => sum + value, 0);
  // idle and iowait
  return total - (fields[3] ?? 0) - (fields[4] ?? 0);
}

function processTicks(pid: number): number {
  try {
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return 0; // not started yet, or gone
  }
}

function ownTicks(children: readonly number[]): number {
  const { user, system } = process.cpuUsage();
  const self = ((user + system) / 1_000_000) * TICKS_PER_SECOND;
  return children.reduce((sum, pid) => sum + processTicks(pid), self);
}

/**
 * Starts measuring; `children()` names the benchmark's child processes (read at the start and the end, so a
 * child started in between counts from zero). Call the result at the end of the measurement.
 */
export function measureLoad(children: () => readonly number[]): () => LoadReading {
  const startedAt = performance.now();
  const busyAtStart = busyTicks();
  const ownAtStart = new Map(children().map((pid) => [pid, processTicks(pid)]));
  const selfAtStart = ownTicks([]);
  return () => {
    const pids = children();
    const own =
      ownTicks([]) - selfAtStart + pids.reduce((sum, pid) => sum + processTicks(pid) - (ownAtStart.get(pid) ?? 0), 0);
    const seconds = (performance.now() - startedAt) / 1000;
    const other = (busyTicks() - busyAtStart - own) / TICKS_PER_SECOND / seconds;
    return {
      loadavg: loadavg().map((value) => Number(value.toFixed(2))),
      otherProcessesCores: Number(Math.max(0, other).toFixed(2)),
    };
  };
}

/**
 * Starts measuring the CPU each named process uses, and this one's as `self`; the result gives each in cores
 * (CPU seconds per second) over the measurement. Shows which part of a composed stack is the busy one.
 */
export function measureCores(pids: Readonly<Record<string, number>>): () => Record<string, number> {
  const startedAt = performance.now();
  const ticks = (): Record<string, number> => ({
    self: ownTicks([]),
    ...Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, processTicks(pid)])),
  });
  const atStart = ticks();
  return () => {
    const seconds = (performance.now() - startedAt) / 1000;
    return Object.fromEntries(
      Object.entries(ticks()).map(([name, now]) => [
        name,
        Number(((now - (atStart[name] ?? 0)) / TICKS_PER_SECOND / seconds).toFixed(2)),
      ]),
    );
  };
}
