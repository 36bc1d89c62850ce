import { setTimeout as delay } from 'node:timers/promises';

import type { BigchainDb, LedgerBlock } from '../shared/bigchaindb';
import { resolveStreamUrl } from '../shared/bigchaindb-client';
import type { Checkpointer } from '../shared/checkpoint';
import { encodeLedgerEvent, type LedgerEvent } from '../shared/ledger-event';
import type { RelaySettings } from '../shared/settings';
import { noopTelemetry, type Telemetry } from '../shared/telemetry';
import { CheckpointWriter } from './checkpoint-writer';
import type { EventStreamConnection, EventStreamOptions, StreamEvent } from './event-stream-client';
import { RelayTelemetry } from './relay-telemetry';
import { SendWindow } from './send-window';
import { StreamAudit } from './stream-audit';

/** One structured log entry of the relay. */
export type RelayLog = (
  entry: { level: 'debug' | 'info' | 'warn' | 'error'; msg: string } & Record<string, unknown>,
) => void;

/** What the relay counts, for logs, telemetry and `relay status`. */
export interface RelayCounters {
  relayed: number;
  backfilled: number;
  duplicatesSkipped: number;
  malformedFrames: number;
  reconnects: number;
  /** Newest height the relay knows the node has. */
  newestKnownHeight: number;
}

/** The relay's collaborators, each a real part in production and in tests. */
export interface RelayDependencies {
  readonly settings: Pick<
    RelaySettings,
    | 'bigchainDbApiUrl'
    | 'streamUrl'
    | 'startHeight'
    | 'sendConcurrency'
    | 'maxBufferedEvents'
    | 'pingIntervalMs'
    | 'idleProbeMs'
    | 'reconnectMaxDelayMs'
    | 'backfillBatchBlocks'
    | 'checkpointIntervalMs'
  >;
  readonly bigchainDb: Pick<BigchainDb, 'getInfo' | 'getBlock'>;
  readonly connectStream: (options: EventStreamOptions) => Promise<EventStreamConnection>;
  /** Puts one message on the queue (the SDK's own retry policy applies); rejects when it could not. */
  readonly send: (messageText: string) => Promise<void>;
  readonly checkpointer: Checkpointer;
  readonly log: RelayLog;
  /** Where counts, durations and the checkpoint go (relay-telemetry.ts); default: nowhere. */
  readonly telemetry?: Telemetry;
  readonly now?: () => Date;
}

/**
 * Relays every committed BigchainDB transaction onto the queue, losing none: on every (re)connect it
 * opens the Event Stream first (buffering), walks `GET /blocks/{h}` from the checkpoint to the first
 * 404, then drains the stream, skipping what the checkpoint already covers. The checkpoint moves
 * only past blocks whose every send succeeded. A stream that goes quiet while the node has blocks
 * it did not deliver is treated as dead. This is the one place that reconnects.
 */
export class Relay {
  readonly counters: RelayCounters = {
    relayed: 0,
    backfilled: 0,
    duplicatesSkipped: 0,
    malformedFrames: 0,
    reconnects: 0,
    newestKnownHeight: 0,
  };

  private readonly telemetry: RelayTelemetry;
  private readonly checkpoints: CheckpointWriter;

  constructor(private readonly deps: RelayDependencies) {
    this.telemetry = new RelayTelemetry(deps.telemetry ?? noopTelemetry);
    this.checkpoints = new CheckpointWriter({
      checkpointer: deps.checkpointer,
      intervalMs: deps.settings.checkpointIntervalMs,
      telemetry: this.telemetry,
      log: deps.log,
      newestKnownHeight: () => this.counters.newestKnownHeight,
    });
  }

  /** Runs until `signal` aborts; resolves once in-flight sends finished and the checkpoint is written. */
  async run(signal: AbortSignal): Promise<void> {
    let failures = 0;
    while (!signal.aborted) {
      let failure: unknown;
      try {
        await this.session(signal);
        failures = 0;
      } catch (error) {
        // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- changes during the await above; TypeScript keeps the narrowing from before it
        if (signal.aborted) break;
        failures++;
        failure = error;
        this.deps.log({ level: 'warn', msg: 'relay session failed; reconnecting', error: String(error), failures });
      }
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- changes during the await above; TypeScript keeps the narrowing from before it
      if (signal.aborted) break;
      this.counters.reconnects++;
      this.telemetry.reconnecting(failures, failure);
      await delay(this.backoffMs(failures), undefined, { signal }).catch(() => undefined);
    }
  }

  /** Exponential back-off with full jitter, capped (no wait after a session that ended cleanly). */
  private backoffMs(failures: number): number {
    if (failures === 0) return 0;
    const ceiling = Math.min(this.deps.settings.reconnectMaxDelayMs, 100 * 2 ** Math.min(failures, 16));
    return Math.round(Math.random() * ceiling);
  }

  private async session(signal: AbortSignal): Promise<void> {
    const { settings, bigchainDb, log } = this.deps;
    // Set by a malformed frame or a block the stream did not deliver in full: the session ends before
    // the checkpoint can pass it, and the next one backfills from the checkpoint.
    const broken = { seen: false };
    let audit: StreamAudit | undefined;
    const streamUrl =
      settings.streamUrl ?? resolveStreamUrl((await bigchainDb.getInfo(signal)).streamsUrl, settings.bigchainDbApiUrl);
    const stream = await this.deps.connectStream({
      url: streamUrl,
      pingIntervalMs: settings.pingIntervalMs,
      connectTimeoutMs: 10_000,
      maxBufferedEvents: settings.maxBufferedEvents,
      onMalformedFrame: (_frame, reason) => {
        this.counters.malformedFrames++;
        this.telemetry.malformedFrame();
        broken.seen = true;
        log({ level: 'warn', msg: 'skipped a malformed Event Stream frame; backfill covers its block', reason });
      },
      signal,
    });
    try {
      const window = new SendWindow(settings.sendConcurrency, (height) => {
        this.checkpoints.request(height, audit);
      });
      await this.backfill(window, signal);
      audit = new StreamAudit(this.nextHeight(), bigchainDb, (height, expected, received) => {
        broken.seen = true;
        log({
          level: 'warn',
          msg: 'the Event Stream missed transactions of a block; backfilling it',
          height,
          expected,
          received,
        });
      });
      log({
        level: 'info',
        msg: 'relaying live from the Event Stream',
        checkpoint: this.deps.checkpointer.getHeight() ?? null,
      });
      await this.live(stream, window, signal, broken, audit);
      await window.drain();
      // The next session backfills from the checkpoint: it must include everything sent here.
      await this.checkpoints.writeNow();
      if (window.error) throw window.error;
      log({ level: 'info', msg: 'Event Stream ended', reason: stream.endReason });
    } finally {
      stream.close();
    }
  }

  private nextHeight(): number {
    const checkpoint = this.deps.checkpointer.getHeight();
    return checkpoint === undefined ? this.deps.settings.startHeight : checkpoint + 1;
  }

  /** Sends every block from the checkpoint up to the first height the node does not have. */
  private async backfill(window: SendWindow, signal: AbortSignal): Promise<void> {
    let height = this.nextHeight();
    let sentBlocks = 0;
    for (;;) {
      signal.throwIfAborted();
      const block = await this.deps.bigchainDb.getBlock(height, signal);
      if (!block) break;
      await this.sendBlock(block, 'backfill', window);
      if (window.error) throw window.error;
      window.close(height);
      this.counters.newestKnownHeight = Math.max(this.counters.newestKnownHeight, height);
      height++;
      // Paced: every batch waits for its sends and checkpoint before the next, so a long outage is
      // recovered in bounded steps that survive a crash.
      if (++sentBlocks % this.deps.settings.backfillBatchBlocks === 0) {
        await window.drain();
        await this.checkpoints.writeNow();
      }
    }
    await window.drain();
    if (window.error) throw window.error;
    await this.checkpoints.writeNow();
    if (sentBlocks > 0)
      this.deps.log({
        level: 'info',
        msg: 'backfill done',
        blocks: sentBlocks,
        checkpoint: this.deps.checkpointer.getHeight(),
      });
  }

  private async sendBlock(block: LedgerBlock, source: 'backfill', window: SendWindow): Promise<void> {
    for (const transaction of block.transactions) {
      await window.start(block.height, () =>
        this.send(
          { height: block.height, assetId: transaction.assetId, transactionId: transaction.transactionId },
          source,
        ),
      );
    }
  }

  private async send(event: StreamEvent, source: LedgerEvent['source']): Promise<void> {
    const message: LedgerEvent = {
      transaction_id: event.transactionId,
      asset_id: event.assetId,
      height: event.height,
      source,
      relayed_at: (this.deps.now?.() ?? new Date()).toISOString(),
    };
    const text = encodeLedgerEvent(message);
    const started = performance.now();
    await this.deps.send(text);
    this.telemetry.sent(source, performance.now() - started);
    if (source === 'backfill') this.counters.backfilled++;
    else this.counters.relayed++;
  }

  /**
   * Drains the stream; ends when it ends (aborting `signal` closes it), when a send failed, when it is found dead,
   * or after a malformed frame. The block open at the end is closed if the node confirms it complete.
   */
  private async live(
    stream: EventStreamConnection,
    window: SendWindow,
    signal: AbortSignal,
    broken: { readonly seen: boolean },
    audit: StreamAudit,
  ): Promise<void> {
    const open = { height: -1, received: 0, suspect: -1 };
    try {
      await this.relayEvents(stream, open, window, signal, broken, audit);
    } catch (error) {
      // Stopping while a probe asked the node: end as a stop does, so that what was received is still confirmed
      // and checkpointed (a restart would otherwise send the open block again).
      if (!signal.aborted) throw error;
    }
    // Stopping or reconnecting: the last block may be complete already; confirming it now saves
    // re-sending it after the restart.
    if (open.height >= 0) await this.confirmBlock(open, window).catch(() => undefined);
  }

  private async relayEvents(
    stream: EventStreamConnection,
    open: { height: number; received: number; suspect: number },
    window: SendWindow,
    signal: AbortSignal,
    broken: { readonly seen: boolean },
    audit: StreamAudit,
  ): Promise<void> {
    const events = stream[Symbol.asyncIterator]();
    let next = events.next();
    while (!signal.aborted && !window.error && !broken.seen) {
      let timer: NodeJS.Timeout | undefined;
      const idle = new Promise<'idle'>(
        (resolve) => (timer = setTimeout(resolve, this.deps.settings.idleProbeMs, 'idle')),
      );
      const result = await Promise.race([next, idle]);
      clearTimeout(timer);
      if (result === 'idle') {
        if (await this.streamLooksDead(open, window, signal)) return;
        continue;
      }
      if (result.done) return;
      // A malformed frame stood for an event that cannot be read, and the blocks after it would move the
      // checkpoint past its block: stop before any event that came after it (the flag is set as it arrives),
      // and let the next session backfill from the checkpoint. The open block is closed only if confirmed complete.
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- set by the stream's callback while this loop awaits; TypeScript keeps the narrowing
      if (broken.seen) return;
      next = events.next();
      await this.accept(result.value, open, window, audit);
    }
  }

  /** Takes one event off the stream: skips one below the next height, else counts it in the open block and sends it. */
  private async accept(
    event: StreamEvent,
    open: { height: number; received: number; suspect: number },
    window: SendWindow,
    audit: StreamAudit,
  ): Promise<void> {
    this.counters.newestKnownHeight = Math.max(this.counters.newestKnownHeight, event.height);
    if (event.height < this.nextHeight()) {
      this.counters.duplicatesSkipped++;
      this.telemetry.duplicateSkipped();
      return;
    }
    if (event.height !== open.height) Object.assign(open, { height: event.height, received: 0, suspect: -1 });
    open.received++;
    audit.record(event.height);
    await window.start(event.height, () => this.send(event, 'stream'));
  }

  /** Closes the open block in the window when the node says it has no more transactions than were received. */
  private async confirmBlock(
    open: { height: number; received: number },
    window: SendWindow,
    signal?: AbortSignal,
  ): Promise<void> {
    const block = await this.deps.bigchainDb.getBlock(open.height, signal);
    if (block?.transactions.length === open.received) window.close(open.height);
  }

  /**
   * Closes the open block (if any) when the node has as many transactions in it as were received; its height
   * when the node has more.
   */
  private async checkOpenBlock(
    open: { height: number; received: number },
    window: SendWindow,
    signal: AbortSignal,
  ): Promise<number | undefined> {
    if (open.height < 0) return undefined;
    const expected = (await this.deps.bigchainDb.getBlock(open.height, signal))?.transactions.length ?? 0;
    if (expected === open.received) window.close(open.height);
    else if (expected > open.received) return open.height;
    return undefined;
  }

  /**
   * When no event came for a while: closes the open block if the node has no more transactions in
   * it than were received, so that the checkpoint catches up. Reports the stream dead when, for a
   * whole idle period, the open block has stayed short of the node's count or the node has had a
   * newer block with transactions the stream never delivered. (Seen only once, either may simply be
   * an instant old, its events on the way.)
   */
  private async streamLooksDead(
    open: { height: number; received: number; suspect: number },
    window: SendWindow,
    signal: AbortSignal,
  ): Promise<boolean> {
    let suspect = await this.checkOpenBlock(open, window, signal);
    if (suspect === undefined) {
      const probeHeight = Math.max(open.height + 1, this.nextHeight());
      const newer = await this.deps.bigchainDb.getBlock(probeHeight, signal);
      if (newer && newer.transactions.length > 0) suspect = probeHeight;
    }
    if (suspect === undefined) return false;
    if (open.suspect !== suspect) {
      open.suspect = suspect;
      return false;
    }
    this.deps.log({
      level: 'warn',
      msg: 'the Event Stream went quiet but the node has transactions it did not deliver; reconnecting',
      height: suspect,
    });
    return true;
  }

  /** Writes the checkpoint of every completed block now and waits for it (for shutdown). */
  async flush(): Promise<void> {
    await this.checkpoints.writeNow();
  }
}
