import { CheckpointConflictError } from './relay-errors';

/**
 * Read-only progress of the relay: what the backfill and stream code receive.
 *
 * Precedence: the stored checkpoint always wins over the configured start height. The relay resumes
 * at `getHeight() + 1` when a checkpoint is stored, and at the configured start height (default 0)
 * only while `getHeight()` is `undefined`, so changing the configured start never re-relays or skips
 * blocks once a checkpoint exists.
 */
export interface Checkpoint {
  /**
   * The highest block height every transaction of which is on the queue, or `undefined` before the first
   * checkpoint (the relay then starts from the configured start height, default 0).
   */
  getHeight(): number | undefined;
}

/**
 * Progress as seen by the one piece of code that confirmed the sends: the only holder allowed to move the
 * checkpoint. The precedence rule of {@link Checkpoint} applies.
 */
export interface Checkpointer extends Checkpoint {
  /**
   * Records that every transaction of block `height` (and of every block below it) is on the queue. The
   * checkpoint never moves backwards: a height at or below the current one resolves at once and changes
   * nothing. Calls are written one after another; when the promise resolves the height (or a higher one) is
   * durable, and `getHeight()` returns it.
   *
   * @param height - A block height: a non-negative safe integer.
   * @throws RangeError (as a rejection) when `height` is not a non-negative safe integer.
   * @throws CheckpointConflictError when another writer changed the stored checkpoint since it was loaded;
   *   the relay must stop, since another instance is making progress. A stored height that this checkpointer
   *   itself tried to write (a write whose reply was lost) is not a conflict: its version is adopted and the
   *   write goes on.
   * @throws whatever the {@link CheckpointStore} throws for other failures; the checkpoint is then
   *   unchanged and a later call may retry.
   */
  checkpointHeight(height: number): Promise<void>;
}

/** A stored checkpoint and the version (for blobs, the ETag) that guards the next write. */
export interface StoredCheckpoint {
  readonly height: number;
  readonly version: string;
}

/**
 * Persistence behind a {@link Checkpointer}. Writes are optimistic-concurrency writes: each names the
 * version that `read` or the previous `write` returned, so that two writers can never both succeed.
 */
export interface CheckpointStore {
  /**
   * Loads the checkpoint.
   *
   * @returns `undefined` when none is stored yet.
   * @throws CheckpointCorruptError when something is stored but is not a checkpoint (never treated as
   *   empty: that would re-relay or skip every block).
   */
  read(signal?: AbortSignal): Promise<StoredCheckpoint | undefined>;
  /**
   * Stores `height` if the stored version is still `expectedVersion` (`undefined`: only if nothing is stored).
   *
   * @returns The new version.
   * @throws CheckpointConflictError when the stored version is not `expectedVersion`.
   * @throws RangeError when `height` is not a non-negative safe integer.
   */
  write(height: number, expectedVersion: string | undefined, signal?: AbortSignal): Promise<string>;
}

/** Whether `value` can be a block height: a non-negative safe integer. */
export function isBlockHeight(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** @throws RangeError naming the rule when `height` is not a block height. */
export function assertBlockHeight(height: unknown): asserts height is number {
  if (!isBlockHeight(height)) throw new RangeError(`height must be a non-negative safe integer, got ${String(height)}`);
}

/**
 * Loads the checkpoint once and returns a {@link Checkpointer} that writes through to `store`, keeping the
 * version of its own last write (so a concurrent writer surfaces as {@link CheckpointConflictError}).
 *
 * @throws whatever `store.read` throws (CheckpointCorruptError, storage errors, the signal's abort reason).
 */
export async function openCheckpointer(store: CheckpointStore, signal?: AbortSignal): Promise<Checkpointer> {
  const stored = await store.read(signal);
  return new CheckpointerImpl(store, stored);
}

class CheckpointerImpl implements Checkpointer {
  #height: number | undefined;
  #version: string | undefined;
  /** The highest height asked for so far; a queued write stores this, so bursts of calls coalesce. */
  #wanted: number | undefined;
  /** Heights of writes sent but not known to have succeeded: a lost reply may hide one that was stored. */
  readonly #unconfirmed = new Set<number>();
  #tail: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: CheckpointStore,
    stored: StoredCheckpoint | undefined,
  ) {
    this.#height = stored?.height;
    this.#version = stored?.version;
    this.#wanted = stored?.height;
  }

  getHeight(): number | undefined {
    return this.#height;
  }

  checkpointHeight(height: number): Promise<void> {
    try {
      assertBlockHeight(height);
    } catch (error: unknown) {
      return Promise.reject(error);
    }
    if (this.#isDurable(height)) return Promise.resolve();
    if (this.#wanted === undefined || height > this.#wanted) this.#wanted = height;
    // One write at a time: each conditional write needs the version the previous one returned.
    const write = this.#tail.then(() => this.#persist(height));
    this.#tail = write.catch(() => undefined);
    return write;
  }

  #isDurable(height: number): boolean {
    return this.#height !== undefined && height <= this.#height;
  }

  async #persist(height: number): Promise<void> {
    if (this.#isDurable(height)) return;
    const target = Math.max(height, this.#wanted ?? height);
    try {
      await this.#write(target);
    } catch (error: unknown) {
      // A write whose reply was lost (storage went away, a timeout, the SDK's retry answered 412) may have been
      // stored: then the version moved under our own hands, not another writer's. Adopt it and write again,
      // or every later write would conflict for the life of the process.
      if (!(error instanceof CheckpointConflictError) || !(await this.#adoptOwnWrite().catch(() => false))) throw error;
      if (!this.#isDurable(target)) await this.#write(target);
    }
  }

  async #write(target: number): Promise<void> {
    this.#unconfirmed.add(target);
    this.#version = await this.store.write(target, this.#version);
    this.#confirm(target);
  }

  /** Takes the stored checkpoint as this writer's own when its height is one of this writer's unconfirmed writes. */
  async #adoptOwnWrite(): Promise<boolean> {
    const stored = await this.store.read();
    if (stored === undefined || this.#isDurable(stored.height) || !this.#unconfirmed.has(stored.height)) return false;
    this.#version = stored.version;
    this.#confirm(stored.height);
    return true;
  }

  #confirm(height: number): void {
    this.#height = height;
    for (const unconfirmed of this.#unconfirmed) if (unconfirmed <= height) this.#unconfirmed.delete(unconfirmed);
  }
}

/** Options of {@link MemoryCheckpointStore}. */
export interface MemoryCheckpointStoreOptions {
  /** What errors call this store. Default `memory`. */
  readonly location?: string;
}

/** A {@link CheckpointStore} in memory, with the same conditional-write rules as the blob store; for tests and tools. */
export class MemoryCheckpointStore implements CheckpointStore {
  /** What errors call this store. */
  readonly location: string;
  #stored: StoredCheckpoint | undefined;
  #writes = 0;

  constructor(options: MemoryCheckpointStoreOptions = {}) {
    this.location = options.location ?? 'memory';
  }

  read(signal?: AbortSignal): Promise<StoredCheckpoint | undefined> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    return Promise.resolve(this.#stored);
  }

  write(height: number, expectedVersion: string | undefined, signal?: AbortSignal): Promise<string> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    try {
      assertBlockHeight(height);
    } catch (error: unknown) {
      return Promise.reject(error);
    }
    if (this.#stored?.version !== expectedVersion) {
      return Promise.reject(new CheckpointConflictError({ location: this.location, expectedVersion }));
    }
    this.#writes += 1;
    this.#stored = { height, version: `"${this.#writes}"` };
    return Promise.resolve(this.#stored.version);
  }
}
