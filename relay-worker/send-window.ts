/**
 * Tracks queue sends by block height, so that the checkpoint moves to a height only once every
 * send of that block, and of every block below it, has succeeded. Bounds how many sends are in
 * flight at once; waiting for a free slot is how the relay pushes back on the stream.
 */
export class SendWindow {
  private readonly pending = new Map<number, number>();
  private readonly waiters: (() => void)[] = [];
  private inFlight = 0;
  private openHeight: number | undefined;
  private failure: Error | undefined;

  constructor(
    private readonly maxInFlight: number,
    /** Called with the highest height whose block is closed and entirely sent. */
    private readonly onComplete: (height: number) => void,
  ) {}

  /** The first send that failed, if any; the relay then reconnects and backfills from the checkpoint. */
  get error(): Error | undefined {
    return this.failure;
  }

  /** Waits for a free slot, then starts `send` for a transaction of block `height`. */
  async start(height: number, send: () => Promise<void>): Promise<void> {
    while (this.inFlight >= this.maxInFlight) await new Promise<void>((resolve) => this.waiters.push(resolve));
    if (this.openHeight !== undefined && height > this.openHeight) this.close(this.openHeight);
    this.openHeight = height;
    this.pending.set(height, (this.pending.get(height) ?? 0) + 1);
    this.inFlight++;
    send().then(
      () => this.settle(height),
      (error: unknown) => {
        this.failure ??= error instanceof Error ? error : new Error(String(error));
        this.inFlight--;
        this.wake();
      },
    );
  }

  /** Marks block `height` as having no more transactions to come (the next block started, or the block was confirmed complete). */
  close(height: number): void {
    if (this.openHeight === height) this.openHeight = undefined;
    if (!this.pending.has(height)) this.pending.set(height, 0);
    this.release();
  }

  /** Resolves once nothing is in flight. */
  async drain(): Promise<void> {
    while (this.inFlight > 0) await new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  private settle(height: number): void {
    this.pending.set(height, (this.pending.get(height) ?? 1) - 1);
    this.inFlight--;
    this.release();
    this.wake();
  }

  // Every waiter re-checks its own condition, so all are woken.
  private wake(): void {
    for (const waiter of this.waiters.splice(0)) waiter();
  }

  private release(): void {
    if (this.failure) return;
    let completed: number | undefined;
    for (const [height, count] of [...this.pending].sort(([a], [b]) => a - b)) {
      if (count > 0 || height === this.openHeight) break;
      this.pending.delete(height);
      completed = height;
    }
    if (completed !== undefined) this.onComplete(completed);
  }
}
