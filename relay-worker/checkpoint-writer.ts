import type { Checkpointer } from '../shared/checkpoint';
import type { RelayLog } from './relay';
import type { RelayTelemetry } from './relay-telemetry';
import type { StreamAudit } from './stream-audit';

/** What the relay's {@link CheckpointWriter} writes with. */
export interface CheckpointWriterDependencies {
  readonly checkpointer: Checkpointer;
  /** Least time between the starts of two writes, unless {@link CheckpointWriter.writeNow} asks for one. */
  readonly intervalMs: number;
  readonly telemetry: RelayTelemetry;
  readonly log: RelayLog;
  /** The newest height the relay knows the node has, for the lag it reports after each write. */
  readonly newestKnownHeight: () => number;
}

/**
 * Writes the relay's checkpoint as blocks complete. Writes are chained, so they land in height order; a failed one
 * is logged and the next one carries the height further (the checkpoint only ever trails). Heights the stream
 * covered are audited first. At most one write runs and one waits, and a write starts at most once per interval: a
 * block completed while a write waits raises the height that write will take, rather than queueing a write of its
 * own. Live, with a block per transaction, a write per block cost more storage work than the sends themselves (a
 * blob upload and an audit read each); a crash in between costs only re-sending the blocks of one interval, which
 * the insurer recognises as duplicates.
 */
export class CheckpointWriter {
  private writing: Promise<void> = Promise.resolve();
  /** The newest height asked for while a write waits in the chain; that write takes it when it starts. */
  private wanted: { height: number; audit: StreamAudit | undefined } | undefined;
  /** When the last write started (performance.now()). */
  private lastWriteAt = Number.NEGATIVE_INFINITY;
  /** Ends the wait of a write that waits for its interval, set while one does. */
  private hurry: (() => void) | undefined;
  /** Set by {@link writeNow}: the write that waits in the chain does not wait for its interval. */
  private due = false;

  constructor(private readonly deps: CheckpointWriterDependencies) {}

  /** Asks for the checkpoint to reach `height` (every block up to it is sent), audited by `audit` when given. */
  request(height: number, audit: StreamAudit | undefined): void {
    const waiting = this.wanted !== undefined;
    this.wanted = { height: Math.max(height, this.wanted?.height ?? -1), audit };
    if (waiting) return;
    this.writing = this.writing.then(() => this.interval()).then(() => this.writeWanted());
  }

  /** Writes what was asked for without waiting for the interval; resolves once every asked-for write is done. */
  writeNow(): Promise<void> {
    if (this.wanted !== undefined) this.due = true;
    this.hurry?.();
    return this.writing;
  }

  /** Waits until the interval since the last write has passed, or until {@link writeNow}. */
  private async interval(): Promise<void> {
    const waitMs = this.lastWriteAt + this.deps.intervalMs - performance.now();
    if (waitMs <= 0 || this.due) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, waitMs);
      this.hurry = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    this.hurry = undefined;
  }

  private async writeWanted(): Promise<void> {
    const { height, audit } = this.wanted ?? { height: -1, audit: undefined };
    this.wanted = undefined;
    this.due = false;
    this.lastWriteAt = performance.now();
    const { checkpointer, telemetry } = this.deps;
    try {
      const safe = audit && height >= audit.fromHeight ? await audit.verifiedUpTo(height) : height;
      if (safe < 0) return;
      await checkpointer.checkpointHeight(safe);
      telemetry.checkpointed(checkpointer.getHeight() ?? safe, this.deps.newestKnownHeight());
    } catch (error: unknown) {
      this.deps.log({ level: 'error', msg: 'checkpoint write failed', height, error: String(error) });
      telemetry.checkpointFailed(error, height);
    }
  }
}
