import type { RelayProcess } from './relay-process';

/** The relay's memory over a run, for the benchmark's JSON. */
export interface MemorySummary {
  readonly events: number;
  /** VmHWM: the highest RSS, sampled or not. */
  readonly peakRssMb: number;
  readonly target: 150;
  /**
   * The run in ten slices: messages relayed by the end of each, its highest RSS and heap size, and its lowest heap
   * use. The lowest heap use of a slice is about the live heap after a collection: flat means no leak.
   */
  readonly slices: readonly {
    readonly events: number;
    readonly rssMb: number;
    readonly heapTotalMb: number;
    readonly heapUsedMinMb: number;
  }[];
}

/** Summarizes `relay`'s samples (see {@link MemorySummary}). */
export function summarizeMemory(relay: RelayProcess, events: number): MemorySummary {
  const { samples } = relay;
  const size = Math.max(1, Math.ceil(samples.length / 10));
  const slices = [];
  for (let start = 0; start < samples.length; start += size) {
    const slice = samples.slice(start, start + size);
    slices.push({
      events: slice.at(-1)?.events ?? 0,
      rssMb: Math.max(...slice.map((s) => s.rssMb)),
      heapTotalMb: Math.max(...slice.map((s) => s.heapTotalMb)),
      heapUsedMinMb: Math.min(...slice.map((s) => s.heapUsedMb)),
    });
  }
  return { events, peakRssMb: relay.peakRssMb(), target: 150, slices };
}
