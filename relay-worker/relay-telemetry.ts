import { ensureError } from '../shared/errors';
import type { LedgerEvent } from '../shared/ledger-event';
import type { Telemetry, TelemetryProperties } from '../shared/telemetry';

/** The names the relay's telemetry has in Application Insights (README, "Telemetry"). */
export const RELAY_TELEMETRY = {
  /** Metric, 1 per message put on the queue; property `source` (`stream` or `backfill`). Sum = messages. */
  relayedEvents: 'RelayedEvents',
  /** Metric, duration of each queue send in ms; property `source`. */
  sendMs: 'RelaySendMs',
  /** Metric, 1 per stream event skipped because the checkpoint already covers its block. */
  duplicatesSkipped: 'RelayDuplicatesSkipped',
  /** Metric, 1 per Event Stream frame that could not be read (its block is backfilled). */
  malformedFrames: 'RelayMalformedFrames',
  /** Metric, the checkpoint height after each checkpoint write (use Max). */
  checkpointHeight: 'RelayCheckpointHeight',
  /** Metric, newest height the relay knows the node has minus the checkpoint, after each checkpoint write. */
  lagBlocks: 'RelayLagBlocks',
  /** Event, each time the relay reconnects; properties `reason` (`failure` or `ended`) and `failures` in a row. */
  reconnect: 'RelayReconnect',
} as const;

// One frozen object per source, so that recording a send allocates nothing of ours.
const BY_SOURCE: Readonly<Record<LedgerEvent['source'], TelemetryProperties>> = Object.freeze({
  stream: Object.freeze({ source: 'stream' }),
  backfill: Object.freeze({ source: 'backfill' }),
  webhook: Object.freeze({ source: 'webhook' }),
  replay: Object.freeze({ source: 'replay' }),
});

/** What the relay reports, at the points where it counts (`Relay.counters`) and logs. */
export class RelayTelemetry {
  constructor(private readonly telemetry: Telemetry) {}

  /** A message of `source` is on the queue; its send took `durationMs`. */
  sent(source: LedgerEvent['source'], durationMs: number): void {
    const properties = BY_SOURCE[source];
    this.telemetry.trackMetric(RELAY_TELEMETRY.relayedEvents, 1, properties);
    this.telemetry.trackMetric(RELAY_TELEMETRY.sendMs, durationMs, properties);
  }

  duplicateSkipped(): void {
    this.telemetry.trackMetric(RELAY_TELEMETRY.duplicatesSkipped, 1);
  }

  malformedFrame(): void {
    this.telemetry.trackMetric(RELAY_TELEMETRY.malformedFrames, 1);
  }

  /** The checkpoint is at `height`; the newest block the relay knows of is `newestKnownHeight`. */
  checkpointed(height: number, newestKnownHeight: number): void {
    this.telemetry.trackMetric(RELAY_TELEMETRY.checkpointHeight, height);
    this.telemetry.trackMetric(RELAY_TELEMETRY.lagBlocks, Math.max(0, newestKnownHeight - height));
  }

  checkpointFailed(error: unknown, height: number): void {
    this.telemetry.trackException(ensureError(error), { operation: 'checkpoint', height });
  }

  /** The relay reconnects after a session that failed with `error` (the `failures`-th in a row) or that ended. */
  reconnecting(failures: number, error: unknown): void {
    this.telemetry.trackEvent(RELAY_TELEMETRY.reconnect, { reason: failures > 0 ? 'failure' : 'ended', failures });
    if (failures > 0) this.telemetry.trackException(ensureError(error), { operation: 'relaySession' });
  }
}
