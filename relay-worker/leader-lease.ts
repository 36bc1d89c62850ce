import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';

import { type BlobLeaseClient, type BlockBlobClient, type ContainerClient, RestError } from '@azure/storage-blob';

import { ensureError } from '../shared/errors';
import { type LeaseLossKind, LeaseLostError } from '../shared/relay-errors';

/** A structured log entry of the lease; `instanceId` and `location` are always included. */
export type LeaderLeaseLogEntry = { level: 'info' | 'warn' | 'error'; msg: string } & Record<string, unknown>;

/** Options of {@link createLeaderLease}. */
export interface LeaderLeaseOptions {
  /** The container of the lock blob; created when missing. */
  readonly container: ContainerClient;
  /** The lock blob's name (an empty block blob, created when missing). */
  readonly blobName: string;
  /** Lease duration in seconds: 15 to 60, Azure's range for a finite lease. Renewed every third of it. */
  readonly leaseDurationSeconds: number;
  /** How often, in milliseconds, a standby tries to acquire the lease. */
  readonly retryIntervalMs: number;
  /** This instance's name, stored in the lock blob's metadata while it holds the lease (e.g. `WEBSITE_INSTANCE_ID`). */
  readonly instanceId: string;
  readonly log: (entry: LeaderLeaseLogEntry) => void;
}

/**
 * The right to be the one active relay: a blob lease on a lock blob. One `LeaderLease` is one term: it is
 * acquired at most once, and once `lost` aborts it cannot be acquired again (create a new one).
 */
export interface LeaderLease {
  /**
   * Resolves once this instance holds the lease; while another holds it, tries again every `retryIntervalMs`.
   * Then renews every `leaseDurationSeconds / 3` in the background. Resolves at once when already held.
   *
   * @throws the signal's reason when `signal` aborts first.
   * @throws LeaseLostError when the term already ended (`release()` was called or the lease was lost).
   * @throws the storage SDK's `RestError` for failures that retrying cannot fix (HTTP 400, 401, 403).
   *   Other failures (network, 5xx, throttling) are logged as warnings and retried.
   */
  acquire(signal?: AbortSignal): Promise<void>;
  /**
   * Aborted, with a {@link LeaseLostError} as its reason, when this term ends: the lease was taken (renewal
   * refused: broken, or acquired by someone else), could not be renewed before it would expire (a 2 s safety
   * margin included), or was released. The relay must stop sending at once.
   */
  readonly lost: AbortSignal;
  /** Whether this instance holds the lease now. */
  readonly isHeld: boolean;
  /**
   * Ends the term: stops renewing, aborts `lost` (kind `released`) and releases the lease so that a standby
   * takes over at once. Best effort (a failed release is logged; the lease then expires) and idempotent.
   */
  release(): Promise<void>;
}

/** Azure's range for a finite lease, in seconds. */
const MIN_LEASE_SECONDS = 15;
const MAX_LEASE_SECONDS = 60;
/** Lost is declared this long before the lease could expire, so sends in flight finish before a standby starts. */
const EXPIRY_MARGIN_MS = 2000;
/** Delay before retrying a renewal that failed for a transient reason. */
const RENEW_RETRY_MS = 1000;
/** Metadata keys on the lock blob (Azure metadata names are case-insensitive C# identifiers). */
const HOLDER_KEY = 'instanceid';
const ACQUIRED_AT_KEY = 'acquiredat';
/** Statuses retrying cannot fix (bad request, authentication, authorization): acquire rejects with them. */
const PERMANENT_STATUSES = new Set([400, 401, 403]);

/**
 * Creates a {@link LeaderLease}. Nothing is sent until `acquire`. Each lease proposes a fresh random lease id,
 * so a restarted process waits for its predecessor's lease to expire (or be released) rather than sharing it.
 *
 * @throws RangeError when `leaseDurationSeconds` is not an integer in 15..60 or `retryIntervalMs` is not positive.
 */
export function createLeaderLease(options: LeaderLeaseOptions): LeaderLease {
  const { leaseDurationSeconds, retryIntervalMs } = options;
  if (
    !Number.isInteger(leaseDurationSeconds) ||
    leaseDurationSeconds < MIN_LEASE_SECONDS ||
    leaseDurationSeconds > MAX_LEASE_SECONDS
  ) {
    throw new RangeError(`leaseDurationSeconds must be an integer from 15 to 60, got ${leaseDurationSeconds}`);
  }
  if (!Number.isFinite(retryIntervalMs) || retryIntervalMs <= 0) {
    throw new RangeError(`retryIntervalMs must be a positive number, got ${retryIntervalMs}`);
  }
  return new LeaderLeaseImpl(options);
}

/** Who holds (or last held) a lock blob's lease, as `relay status` shows it. */
export interface LeaseHolder {
  /** Azure's lease state; `available` also when the lock blob does not exist yet. */
  readonly state: 'available' | 'leased' | 'expired' | 'breaking' | 'broken';
  /** The instance that last acquired the lease: the holder while `state` is `leased`. */
  readonly instanceId?: string;
  /** When that instance acquired it (ISO time). */
  readonly acquiredAt?: string;
}

/**
 * Reads the lock blob's lease state and the last holder's id from its metadata.
 *
 * @throws the storage SDK's `RestError` for failures other than "not found".
 */
export async function readLeaseHolder(
  container: ContainerClient,
  blobName: string,
  signal?: AbortSignal,
): Promise<LeaseHolder> {
  try {
    const properties = await container.getBlobClient(blobName).getProperties({ abortSignal: signal });
    const instanceId = decodeMetadata(properties.metadata?.[HOLDER_KEY]);
    const acquiredAt = properties.metadata?.[ACQUIRED_AT_KEY];
    return {
      state: properties.leaseState ?? 'available',
      ...(instanceId === undefined ? {} : { instanceId }),
      ...(acquiredAt === undefined ? {} : { acquiredAt }),
    };
  } catch (error: unknown) {
    if (error instanceof RestError && error.statusCode === 404) return { state: 'available' };
    throw error;
  }
}

class LeaderLeaseImpl implements LeaderLease {
  readonly #options: LeaderLeaseOptions;
  readonly #blob: BlockBlobClient;
  readonly #leaseClient: BlobLeaseClient;
  readonly #location: string;
  readonly #durationMs: number;
  readonly #term = new AbortController();
  #held = false;
  #everAcquired = false;
  #lossKind: LeaseLossKind | undefined;
  /** `performance.now()` when the last successful acquire or renewal was sent: the lease lasts at least a duration from then. */
  #renewedAt = 0;
  #renewTimer: NodeJS.Timeout | undefined;
  #acquiring: Promise<void> | undefined;
  #releasing: Promise<void> | undefined;

  constructor(options: LeaderLeaseOptions) {
    this.#options = options;
    this.#blob = options.container.getBlockBlobClient(options.blobName);
    this.#leaseClient = this.#blob.getBlobLeaseClient(randomUUID());
    this.#location = `${options.container.containerName}/${options.blobName}`;
    this.#durationMs = options.leaseDurationSeconds * 1000;
  }

  get lost(): AbortSignal {
    return this.#term.signal;
  }

  get isHeld(): boolean {
    return this.#held;
  }

  acquire(signal?: AbortSignal): Promise<void> {
    if (this.#term.signal.aborted) return Promise.reject(this.#term.signal.reason);
    if (this.#held) return Promise.resolve();
    // Concurrent calls share the first call's attempt (and its signal).
    this.#acquiring ??= this.#acquireLoop(signal).finally(() => (this.#acquiring = undefined));
    return this.#acquiring;
  }

  release(): Promise<void> {
    this.#releasing ??= this.#release();
    return this.#releasing;
  }

  async #acquireLoop(signal: AbortSignal | undefined): Promise<void> {
    const stop = signal === undefined ? this.#term.signal : AbortSignal.any([signal, this.#term.signal]);
    let standing = false;
    for (;;) {
      stop.throwIfAborted();
      const sentAt = performance.now();
      const outcome = await this.#tryAcquire(stop);
      if (outcome === 'acquired') return this.#becomeHolder(sentAt);
      if (outcome === 'held' && !standing) {
        standing = true;
        const holder = await readLeaseHolder(this.#options.container, this.#options.blobName, stop).catch(
          () => undefined,
        );
        this.#log('info', 'standing by: the leader lease is held by another instance', { holder: holder?.instanceId });
      }
      await delay(this.#options.retryIntervalMs, undefined, { signal: stop }).catch((error: unknown) => {
        // Reject with the signal's own reason, not the timer's generic AbortError.
        stop.throwIfAborted();
        throw error;
      });
    }
  }

  /** One attempt: `held` when another instance holds the lease, `failed` for a failure worth retrying. */
  async #tryAcquire(stop: AbortSignal, createdLockBlob = false): Promise<'acquired' | 'held' | 'failed'> {
    try {
      await this.#leaseClient.acquireLease(this.#options.leaseDurationSeconds, { abortSignal: stop });
      return 'acquired';
    } catch (error: unknown) {
      stop.throwIfAborted();
      if (!(error instanceof RestError)) return this.#retryable(error);
      if (error.statusCode === 409 && error.code === 'LeaseAlreadyPresent') return 'held';
      if (error.statusCode === 404 && !createdLockBlob) {
        await this.#createLockBlob(stop);
        return this.#tryAcquire(stop, true);
      }
      if (PERMANENT_STATUSES.has(error.statusCode ?? 0)) throw error;
      return this.#retryable(error);
    }
  }

  #retryable(error: unknown): 'failed' {
    this.#log('warn', 'could not try the leader lease; trying again', { error: ensureError(error).message });
    return 'failed';
  }

  async #createLockBlob(stop: AbortSignal): Promise<void> {
    await this.#options.container.createIfNotExists({ abortSignal: stop });
    try {
      await this.#blob.upload('', 0, { conditions: { ifNoneMatch: '*' }, abortSignal: stop });
      this.#log('info', 'created the leader lock blob');
    } catch (error: unknown) {
      // Someone else created it (409 BlobAlreadyExists, or 412 when it is already leased): fine.
      if (!(error instanceof RestError && (error.statusCode === 409 || error.statusCode === 412))) throw error;
    }
  }

  async #becomeHolder(sentAt: number): Promise<void> {
    this.#renewedAt = sentAt;
    this.#everAcquired = true;
    if (this.#term.signal.aborted) {
      // release() ran while the acquire was in flight: give the lease back at once.
      await this.#releaseLease();
      this.#term.signal.throwIfAborted();
    }
    this.#held = true;
    this.#scheduleRenewal(this.#durationMs / 3);
    await this.#recordHolder();
    // Released or lost while recording the holder: do not report a term that has already ended.
    this.#term.signal.throwIfAborted();
    this.#log('info', 'acquired the leader lease', { leaseDurationSeconds: this.#options.leaseDurationSeconds });
  }

  /** Best effort: the lease is held whether or not `relay status` can tell who holds it. */
  async #recordHolder(): Promise<void> {
    const metadata = {
      [HOLDER_KEY]: encodeMetadata(this.#options.instanceId),
      [ACQUIRED_AT_KEY]: new Date().toISOString(),
    };
    try {
      await this.#blob.setMetadata(metadata, {
        conditions: { leaseId: this.#leaseClient.leaseId },
        abortSignal: this.#term.signal,
      });
    } catch (error: unknown) {
      if (!this.#term.signal.aborted)
        this.#log('warn', 'could not record the lease holder', { error: ensureError(error).message });
    }
  }

  #scheduleRenewal(delayMs: number): void {
    this.#renewTimer = setTimeout(() => void this.#renew(), delayMs);
  }

  async #renew(): Promise<void> {
    const sentAt = performance.now();
    const deadline = this.#renewedAt + this.#durationMs - EXPIRY_MARGIN_MS;
    if (sentAt >= deadline) {
      this.#end('expired');
      return;
    }
    try {
      const timeout = AbortSignal.timeout(Math.ceil(deadline - sentAt));
      await this.#leaseClient.renewLease({ abortSignal: AbortSignal.any([this.#term.signal, timeout]) });
      if (this.#term.signal.aborted) return undefined;
      this.#renewedAt = sentAt;
      this.#scheduleRenewal(this.#durationMs / 3);
    } catch (error: unknown) {
      if (this.#term.signal.aborted) return undefined;
      // 409 (lease id mismatch, not present, broken), 412 or 404 (lock blob deleted): someone else has it.
      if (error instanceof RestError && [404, 409, 412].includes(error.statusCode ?? 0)) {
        this.#end('taken', error);
        return;
      }
      const now = performance.now();
      if (now + RENEW_RETRY_MS >= deadline) {
        this.#end('expired', error);
        return;
      }
      this.#log('warn', 'could not renew the leader lease; trying again', { error: ensureError(error).message });
      this.#scheduleRenewal(RENEW_RETRY_MS);
    }
    return undefined;
  }

  #end(kind: LeaseLossKind, cause?: unknown): void {
    if (this.#term.signal.aborted) return;
    clearTimeout(this.#renewTimer);
    const wasHeld = this.#held;
    this.#held = false;
    this.#lossKind = kind;
    const reason = new LeaseLostError({ location: this.#location, instanceId: this.#options.instanceId, kind, cause });
    this.#term.abort(reason);
    if (kind !== 'released' || wasHeld) {
      this.#log(kind === 'released' ? 'info' : 'error', reason.message, {
        kind,
        ...(cause === undefined ? {} : { error: ensureError(cause).message }),
      });
    }
  }

  async #release(): Promise<void> {
    this.#end('released');
    // After an `expired` loss the lease may still be valid for up to the safety margin: give it back too.
    // An acquire still in flight releases what it gets by itself (#becomeHolder).
    if (this.#everAcquired && this.#lossKind !== 'taken') await this.#releaseLease();
  }

  async #releaseLease(): Promise<void> {
    try {
      await this.#leaseClient.releaseLease();
    } catch (error: unknown) {
      this.#log('warn', 'could not release the leader lease; it will expire', { error: ensureError(error).message });
    }
  }

  #log(level: LeaderLeaseLogEntry['level'], msg: string, fields: Record<string, unknown> = {}): void {
    this.#options.log({ level, msg, instanceId: this.#options.instanceId, location: this.#location, ...fields });
  }
}

// Metadata values travel as HTTP headers, so they must be ASCII; instance ids are percent-encoded.
function encodeMetadata(value: string): string {
  return encodeURIComponent(value);
}

function decodeMetadata(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
