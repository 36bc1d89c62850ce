import { types } from 'node:util';

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
    super(kind === 'SchemaValidationError' ? `Invalid transaction schema: ${detail}` : `Invalid transaction (${kind}): ${detail}`);
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
