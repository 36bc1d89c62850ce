import type { BigchainDb } from '../shared/bigchaindb';

/** Blocks the audit asks the node for at once. */
const AUDIT_BATCH = 16;

/**
 * Checks, before the checkpoint may pass a block, that the Event Stream delivered every one of its
 * transactions: a frame lost in transit (or a block never announced) would otherwise be skipped
 * for good, since the checkpoint is where every later backfill starts. Costs one `GET /blocks/{h}`
 * per height the stream covered.
 */
export class StreamAudit {
  private readonly received = new Map<number, number>();
  private verifiedThrough: number;

  /**
   * @param fromHeight - first height the stream is responsible for (the ones below were backfilled).
   * @param onGap - called once when a height turns out to miss transactions.
   */
  constructor(
    readonly fromHeight: number,
    private readonly bigchainDb: Pick<BigchainDb, 'getBlock'>,
    private readonly onGap: (height: number, expected: number, received: number) => void,
  ) {
    this.verifiedThrough = fromHeight - 1;
  }

  /** Counts an event of block `height` the relay received from the stream. */
  record(height: number): void {
    this.received.set(height, (this.received.get(height) ?? 0) + 1);
  }

  /**
   * The highest height up to `height` whose blocks, and every block below it from `fromHeight`,
   * the stream delivered in full; stops at the first that is short (and reports it).
   */
  async verifiedUpTo(height: number, signal?: AbortSignal): Promise<number> {
    while (this.verifiedThrough < height) {
      // Up to AUDIT_BATCH blocks are asked for at once, then checked in order: one at a time, the checkpoint
      // could move only one node round trip per block and would trail the sends by hundreds of blocks under load.
      const from = this.verifiedThrough + 1;
      const heights = Array.from(
        { length: Math.min(AUDIT_BATCH, height - this.verifiedThrough) },
        (_, index) => from + index,
      );
      const expected = await Promise.all(
        heights.map(async (next) => (await this.bigchainDb.getBlock(next, signal))?.transactions.length ?? 0),
      );
      for (const [index, next] of heights.entries()) {
        const received = this.received.get(next) ?? 0;
        if (received < (expected[index] ?? 0)) {
          this.onGap(next, expected[index] ?? 0, received);
          return this.verifiedThrough;
        }
        this.received.delete(next);
        this.verifiedThrough = next;
      }
    }
    return this.verifiedThrough;
  }
}
