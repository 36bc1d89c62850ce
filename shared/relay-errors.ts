import { ensureError } from './errors';

// The relay's errors: its checkpoint, its leader lease and its Event Stream connection. The checkpoint contract
// lives in shared/ (the Functions app's health check reads the checkpoint), so these do too.

/** Properties of a {@link CheckpointConflictError}. */
export interface CheckpointConflictErrorProperties {
  /** Where the checkpoint lives: `<container>/<blob>` for a blob store. */
  readonly location: string;
  /** The version the write was guarded by; `undefined` for a first write (only if nothing is stored). */
  readonly expectedVersion: string | undefined;
  readonly cause?: unknown;
}

/**
 * A conditional checkpoint write lost to another writer: the stored checkpoint is no longer the version
 * this writer loaded. Another relay instance is making progress, so this one must stop.
 */
export class CheckpointConflictError extends Error {
  override readonly name = 'CheckpointConflictError';
  readonly code = 'RELAY_CHECKPOINT_CONFLICT';
  readonly location: string;
  readonly expectedVersion: string | undefined;

  constructor({ location, expectedVersion, cause }: CheckpointConflictErrorProperties) {
    super(
      expectedVersion === undefined
        ? `checkpoint "${location}": first write refused, a checkpoint was stored by another writer`
        : `checkpoint "${location}": write refused, the stored version is no longer ${expectedVersion}`,
      { cause },
    );
    this.location = location;
    this.expectedVersion = expectedVersion;
  }
}

/** Properties of a {@link CheckpointCorruptError}. */
export interface CheckpointCorruptErrorProperties {
  /** Where the checkpoint lives: `<container>/<blob>` for a blob store. */
  readonly location: string;
  /** The rule the stored content breaks, e.g. `not JSON` or `/height must be a non-negative safe integer`. */
  readonly reason: string;
  readonly cause?: unknown;
}

/**
 * Something is stored where the checkpoint belongs but it is not a checkpoint. Never treated as "no
 * checkpoint": that would re-relay or skip every block. An operator must fix or delete it.
 */
export class CheckpointCorruptError extends Error {
  override readonly name = 'CheckpointCorruptError';
  readonly code = 'RELAY_CHECKPOINT_CORRUPT';
  readonly location: string;
  readonly reason: string;

  constructor({ location, reason, cause }: CheckpointCorruptErrorProperties) {
    super(`checkpoint "${location}" is corrupt: ${reason}`, { cause });
    this.location = location;
    this.reason = reason;
  }
}

/** Properties of a {@link CheckpointUnavailableError}. */
export interface CheckpointUnavailableErrorProperties {
  /** Where the checkpoint lives: `<container>/<blob>` for a blob store. */
  readonly location: string;
  readonly operation: 'read' | 'write';
  /** The storage service's HTTP status; `undefined` when no response arrived (network failure). */
  readonly status: number | undefined;
  /** The underlying storage error. */
  readonly cause: unknown;
}

/**
 * The checkpoint could not be read or written for a reason other than "not found", a conflict or corrupt
 * content (auth failure, network, throttling after the SDK's own retries). The checkpoint is unchanged.
 */
export class CheckpointUnavailableError extends Error {
  override readonly name = 'CheckpointUnavailableError';
  readonly code = 'RELAY_CHECKPOINT_UNAVAILABLE';
  readonly location: string;
  readonly operation: 'read' | 'write';
  readonly status: number | undefined;

  constructor({ location, operation, status, cause }: CheckpointUnavailableErrorProperties) {
    const detail = ensureError(cause).message;
    super(
      `checkpoint "${location}": ${operation} failed${status === undefined ? '' : ` (HTTP ${status})`}: ${detail}`,
      { cause },
    );
    this.location = location;
    this.operation = operation;
    this.status = status;
  }
}

/** How a leader lease ended: taken by another party, expired before it could be renewed, or released by its holder. */
export type LeaseLossKind = 'taken' | 'expired' | 'released';

/** Properties of a {@link LeaseLostError}. */
export interface LeaseLostErrorProperties {
  /** The lock blob: `<container>/<blob>`. */
  readonly location: string;
  /** The instance that held the lease. */
  readonly instanceId: string;
  readonly kind: LeaseLossKind;
  readonly cause?: unknown;
}

/**
 * The reason a leader lease's `lost` signal aborts: this instance no longer holds (or may no longer hold)
 * the lease, so it must stop relaying at once because another instance may take over.
 */
export class LeaseLostError extends Error {
  override readonly name = 'LeaseLostError';
  readonly code = 'RELAY_LEASE_LOST';
  readonly location: string;
  readonly instanceId: string;
  readonly kind: LeaseLossKind;

  constructor({ location, instanceId, kind, cause }: LeaseLostErrorProperties) {
    const how = {
      taken: 'taken by another party',
      expired: 'not renewed before it would expire',
      released: 'released by its holder',
    }[kind];
    super(`leader lease "${location}" held by ${instanceId} was ${how}`, { cause });
    this.location = location;
    this.instanceId = instanceId;
    this.kind = kind;
  }
}

/** Why an Event Stream could not be opened. */
export type EventStreamConnectFailure = 'invalid-url' | 'refused' | 'timeout' | 'http-status' | 'network';

/** Properties of an {@link EventStreamConnectError}. */
export interface EventStreamConnectErrorProperties {
  /** The Event Stream URL that was dialled. */
  readonly url: string;
  readonly failure: EventStreamConnectFailure;
  /** What went wrong, e.g. `the server answered the upgrade with HTTP 404`. */
  readonly detail: string;
  /** The HTTP status the server answered the upgrade with; only for `http-status`. */
  readonly status?: number;
  readonly cause?: unknown;
}

/**
 * The WebSocket to a node's Event Stream did not open: the URL is invalid, the connection was refused, the
 * handshake timed out, or the server answered the upgrade with another HTTP status (spec §7: 404 off the stream path).
 */
export class EventStreamConnectError extends Error {
  override readonly name = 'EventStreamConnectError';
  readonly code = 'RELAY_STREAM_CONNECT_FAILED';
  readonly url: string;
  readonly failure: EventStreamConnectFailure;
  readonly status: number | undefined;

  constructor({ url, failure, detail, status, cause }: EventStreamConnectErrorProperties) {
    super(`cannot open the Event Stream at ${url}: ${detail}`, { cause });
    this.url = url;
    this.failure = failure;
    this.status = status;
  }
}
