import { types } from 'node:util';

import type { ErrorObject } from 'ajv';

/**
 * The exception classes a BigchainDB 2.2 node names in its rejection messages
 * (`Invalid transaction (<kind>): <detail>`). `SchemaValidationError` is phrased
 * differently by the node (`Invalid transaction schema: <detail>`).
 */
export type TransactionRejectionKind =
  | 'SchemaValidationError'
  | 'InvalidHash'
  | 'ValidationError'
  | 'InvalidSignature'
  | 'AmountError'
  | 'ThresholdTooDeep'
  | 'DuplicateTransaction'
  | 'InputDoesNotExist'
  | 'DoubleSpend'
  | 'AssetIdMismatch';

/** Properties of an {@link InvalidTransactionError}. */
export interface InvalidTransactionErrorProperties {
  /** The BigchainDB exception class the rejection corresponds to. */
  readonly kind: TransactionRejectionKind;
  /** The node's message after its prefix, e.g. ``input `<id>` was already spent``. */
  readonly detail: string;
  /** JSON pointer of the offending part of the transaction, when one part is to blame. */
  readonly field?: string;
}

/**
 * A transaction that a BigchainDB node would reject with HTTP 400. `message` is exactly the node's
 * message, so that HTTP layers can pass it on unchanged.
 */
export class InvalidTransactionError extends Error {
  override readonly name = 'InvalidTransactionError';
  readonly code = 'INVALID_TRANSACTION';
  readonly status = 400;
  readonly kind: TransactionRejectionKind;
  readonly detail: string;
  readonly field: string | undefined;

  constructor({ kind, detail, field }: InvalidTransactionErrorProperties) {
    super(
      kind === 'SchemaValidationError'
        ? `Invalid transaction schema: ${detail}`
        : `Invalid transaction (${kind}): ${detail}`,
    );
    this.kind = kind;
    this.detail = detail;
    this.field = field;
  }
}

/** Turns whatever was thrown into an `Error`, keeping the original as `cause` when it was not one. */
export function ensureError(thrown: unknown): Error {
  // isNativeError also recognises errors of another realm (a vm context, jest's sandbox).
  if (thrown instanceof Error || types.isNativeError(thrown)) return thrown;
  return new Error(`non-error thrown: ${String(thrown)}`, { cause: thrown });
}

/** Properties of a {@link ValidationError}. */
export interface ValidationErrorProperties {
  /** The whole message; names the subject, the field and what is wrong, never the offending value. */
  readonly message: string;
  /** JSON pointer of the offending part (`/height`), or `''` for the value as a whole. */
  readonly field: string;
  /**
   * The rule that failed: the ajv keyword (`type`, `pattern`, `required`, ...), or the decoding step that
   * failed before any schema check (`base64`, `utf-8`, `json`).
   */
  readonly rule: string;
}

/** A value received at a boundary (a queue message, a request body) does not fit its schema. */
export class ValidationError extends Error {
  override readonly name = 'ValidationError';
  readonly code = 'VALIDATION_FAILED';
  readonly status = 400;
  readonly field: string;
  readonly rule: string;

  constructor({ message, field, rule }: ValidationErrorProperties) {
    super(message);
    this.field = field;
    this.rule = rule;
  }
}

/**
 * Builds a {@link ValidationError} from ajv's first error, e.g. `ledger event /height must be integer`.
 * `required` and `additionalProperties` are reported at the missing or extra property itself
 * (`/height is required`), not at its parent as ajv does.
 *
 * @param errors - a compiled validator's `errors` after it returned false.
 * @param subject - what was validated, in words: `ledger event`.
 */
export function fromAjvErrors(errors: readonly ErrorObject[] | null | undefined, subject: string): ValidationError {
  const first = errors?.[0];
  if (first === undefined) return new ValidationError({ message: `${subject} is invalid`, field: '', rule: 'schema' });
  const { field, detail } = describeAjvError(first);
  const message = [subject, field, detail].filter((part) => part !== '').join(' ');
  return new ValidationError({ message, field, rule: first.keyword });
}

function describeAjvError({ keyword, instancePath, params, message }: ErrorObject): { field: string; detail: string } {
  const property: unknown = params['missingProperty'] ?? params['additionalProperty'];
  if (keyword === 'required' && typeof property === 'string') {
    return { field: `${instancePath}/${escapePointerToken(property)}`, detail: 'is required' };
  }
  if (keyword === 'additionalProperties' && typeof property === 'string') {
    return { field: `${instancePath}/${escapePointerToken(property)}`, detail: 'is not an allowed property' };
  }
  const allowed: unknown = params['allowedValues'];
  if (keyword === 'enum' && Array.isArray(allowed)) {
    const values = allowed.map((value) => JSON.stringify(value)).join(', ');
    return { field: instancePath, detail: `must be one of ${values}` };
  }
  return { field: instancePath, detail: message ?? `must pass ${keyword}` };
}

// RFC 6901: `~` and `/` inside a reference token.
function escapePointerToken(token: string): string {
  return token.replaceAll('~', '~0').replaceAll('/', '~1');
}

/** A service this app depends on, named in an {@link UpstreamError}. */
export type UpstreamService = 'bigchaindb' | 'storage';

/** Properties of an {@link UpstreamError}. */
export interface UpstreamErrorProperties {
  /**
   * 502: the service replied, but not usefully (an error status, a malformed body).
   * 503: it could not be reached or did not answer in time.
   */
  readonly status: 502 | 503;
  readonly service: UpstreamService;
  /** Names the service, the request (method and path, never its body) and what went wrong. */
  readonly message: string;
  /** The service's HTTP status, when it replied. */
  readonly upstreamStatus?: number;
  /** The service's own error message (BigchainDB's JSON `message`), when it gave one. */
  readonly upstreamMessage?: string;
  /** The underlying failure: the network error, or the {@link ValidationError} of a malformed reply. */
  readonly cause?: Error;
}

/** A service this app depends on failed; HTTP layers answer with `status`, queue handlers throw to retry. */
export class UpstreamError extends Error {
  override readonly name = 'UpstreamError';
  readonly code = 'UPSTREAM_FAILED';
  readonly status: 502 | 503;
  readonly service: UpstreamService;
  readonly upstreamStatus: number | undefined;
  readonly upstreamMessage: string | undefined;

  constructor({ status, service, message, upstreamStatus, upstreamMessage, cause }: UpstreamErrorProperties) {
    super(message, cause === undefined ? undefined : { cause });
    this.status = status;
    this.service = service;
    this.upstreamStatus = upstreamStatus;
    this.upstreamMessage = upstreamMessage;
  }
}

/** Properties of a {@link TransactionRejectedError}. */
export interface TransactionRejectedErrorProperties {
  /** The node's message, verbatim (e.g. ``Invalid transaction (DoubleSpend): input `<id>` was already spent``). */
  readonly message: string;
}

/**
 * A BigchainDB node refused a posted transaction with HTTP 400. `message` is exactly the node's, so that
 * HTTP layers can pass it on unchanged.
 */
export class TransactionRejectedError extends Error {
  override readonly name = 'TransactionRejectedError';
  readonly code = 'TRANSACTION_REJECTED';
  readonly status = 400;

  constructor({ message }: TransactionRejectedErrorProperties) {
    super(message);
  }
}

/** Properties of a {@link NotFoundError}. */
export interface NotFoundErrorProperties {
  /** What kind of thing was looked for: `car`, `driver`, `transaction`. */
  readonly resource: string;
  readonly id: string;
}

/** The thing a request names does not exist. */
export class NotFoundError extends Error {
  override readonly name = 'NotFoundError';
  readonly code = 'NOT_FOUND';
  readonly status = 404;
  readonly resource: string;
  readonly id: string;

  constructor({ resource, id }: NotFoundErrorProperties) {
    super(`${resource} ${id} was not found`);
    this.resource = resource;
    this.id = id;
  }
}

/**
 * Why a request conflicts with the current state, as a stable code. `CAR_REGISTRATION_IN_PROGRESS`: another
 * registration of the VIN has reserved it and not committed yet.
 */
export type ConflictCode =
  'CAR_ALREADY_REGISTERED' | 'CAR_REGISTRATION_IN_PROGRESS' | 'CAR_ALREADY_LEASED' | 'CAR_NOT_LEASED';

/** Properties of a {@link ConflictError}. */
export interface ConflictErrorProperties {
  readonly code: ConflictCode;
  /** Says what is in the way, e.g. `car <asset id> is already leased (transaction <id>)`. */
  readonly message: string;
}

/**
 * The request is valid but the ledger's current state does not allow it; retrying it unchanged will not help,
 * except after `CAR_REGISTRATION_IN_PROGRESS`, which settles once the other registration commits or goes stale.
 */
export class ConflictError extends Error {
  override readonly name = 'ConflictError';
  readonly code: ConflictCode;
  readonly status = 409;

  constructor({ code, message }: ConflictErrorProperties) {
    super(message);
    this.code = code;
  }
}

/** Properties of a {@link CorruptRowError}. */
export interface CorruptRowErrorProperties {
  /** The table, e.g. `premiums`. */
  readonly table: string;
  readonly partitionKey: string;
  readonly rowKey: string;
  /** The rule the stored row breaks, e.g. `/height must be a non-negative safe integer`. */
  readonly reason: string;
  readonly cause?: unknown;
}

/**
 * A table row this app wrote no longer reads as what it stored (edited by hand, or written by an incompatible
 * version). Never treated as absent: an operator must fix or delete the row. HTTP handlers answer 500; queue
 * handlers throw, so the message ends in the poison queue.
 */
export class CorruptRowError extends Error {
  override readonly name = 'CorruptRowError';
  readonly code = 'STORED_ROW_CORRUPT';
  readonly table: string;
  readonly partitionKey: string;
  readonly rowKey: string;
  readonly reason: string;

  constructor({ table, partitionKey, rowKey, reason, cause }: CorruptRowErrorProperties) {
    super(`row ${table}/${partitionKey}/${rowKey} is corrupt: ${reason}`, cause === undefined ? undefined : { cause });
    this.table = table;
    this.partitionKey = partitionKey;
    this.rowKey = rowKey;
    this.reason = reason;
  }
}
