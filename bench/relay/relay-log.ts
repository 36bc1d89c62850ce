// The relay's JSON-lines log as the benchmark reads it: when given messages first appeared (the relay's
// own account of when it took the lease and finished a catch-up, which costs nothing to watch, unlike
// counting queue messages in Azurite), warnings counted, and its counters when it stopped.

/** The relay's log, boiled down: warnings and errors counted by message, and its counters when it stopped. */
export interface RelayLogSummary {
  readonly warnings: Record<string, number>;
  stopped: Record<string, unknown> | undefined;
}

/** Reads the relay's stdout. */
export class RelayLog {
  readonly summary: RelayLogSummary = { warnings: {}, stopped: undefined };
  /** When each message was first read (performance.now()). */
  readonly #firstSeen = new Map<string, number>();
  readonly #waiters = new Set<() => void>();
  #partial = '';
  #head = '';
  #ended = false;

  /** The start of the output, for error messages. */
  get head(): string {
    return this.#head;
  }

  /** Takes a chunk of stdout. */
  write(chunk: string): void {
    if (this.#head.length < 100_000) this.#head += chunk;
    const lines = (this.#partial + chunk).split('\n');
    this.#partial = lines.pop() ?? '';
    for (const line of lines) if (line.startsWith('{')) this.#entry(JSON.parse(line) as Record<string, unknown>);
    for (const waiter of this.#waiters) waiter();
  }

  /** The process exited: waits still pending fail. */
  end(): void {
    this.#ended = true;
    for (const waiter of this.#waiters) waiter();
  }

  /** Resolves with the time (performance.now()) the first entry whose `msg` starts with `prefix` was read. */
  when(prefix: string): Promise<number> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const seen = [...this.#firstSeen].find(([msg]) => msg.startsWith(prefix));
        if (seen === undefined && !this.#ended) return;
        this.#waiters.delete(check);
        if (seen === undefined) reject(new Error(`the relay exited before logging "${prefix}":\n${this.#head}`));
        else resolve(seen[1]);
      };
      this.#waiters.add(check);
      check();
    });
  }

  #entry({ level, msg, time: _time, ...rest }: Record<string, unknown>): void {
    if (typeof msg !== 'string') return;
    if (!this.#firstSeen.has(msg)) this.#firstSeen.set(msg, performance.now());
    if (level === 'warn' || level === 'error') this.summary.warnings[msg] = (this.summary.warnings[msg] ?? 0) + 1;
    if (msg === 'relay stopped') this.summary.stopped = rest;
  }
}
