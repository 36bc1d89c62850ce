import type { HttpResponseInit, InvocationContext } from '@azure/functions';

import {
  ConflictError,
  ensureError,
  InvalidTransactionError,
  NotFoundError,
  TransactionRejectedError,
  UpstreamError,
  ValidationError,
} from '../shared/errors';

/** A request body larger than the endpoint accepts. */
export class PayloadTooLargeError extends Error {
  override readonly name = 'PayloadTooLargeError';
  readonly code = 'PAYLOAD_TOO_LARGE';
  readonly status = 413;

  constructor(readonly limitBytes: number) {
    super(`request body is larger than ${limitBytes} bytes`);
  }
}

/** A request body that is not JSON by its `Content-Type`. */
export class UnsupportedMediaTypeError extends Error {
  override readonly name = 'UnsupportedMediaTypeError';
  readonly code = 'UNSUPPORTED_MEDIA_TYPE';
  readonly status = 415;

  constructor(readonly contentType: string | null) {
    super(`Content-Type must be application/json, got ${contentType === null ? 'none' : JSON.stringify(contentType)}`);
  }
}

/** A webhook request whose signature is missing, malformed, wrong or too old. */
export class SignatureError extends Error {
  override readonly name = 'SignatureError';
  readonly code = 'SIGNATURE_INVALID';
  readonly status = 401;
}

/** The JSON body of every error response. `field` is a JSON pointer into the request body. */
export interface ErrorBody {
  readonly error: {
    readonly code: string;
    readonly message: string;
    readonly field?: string;
    readonly rule?: string;
    /** Of a 500: the invocation id under which the detail was logged. */
    readonly correlationId?: string;
  };
}

/** How long a client should wait before retrying after BigchainDB or storage failed, in seconds. */
export const RETRY_AFTER_SECONDS = 5;

/** The error classes that carry their HTTP status (and code) themselves. */
const STATUS_ERRORS = [
  TransactionRejectedError,
  NotFoundError,
  ConflictError,
  PayloadTooLargeError,
  UnsupportedMediaTypeError,
  SignatureError,
] as const;

function hasOwnStatus(error: Error): error is InstanceType<(typeof STATUS_ERRORS)[number]> {
  return STATUS_ERRORS.some((type) => error instanceof type);
}

/**
 * Maps any error thrown by a handler to its response: the error classes that carry a status map to it with
 * their code, message and field; an upstream failure is a 503 with `Retry-After`; anything else is a 500 whose
 * detail goes only to the log, under the invocation id the body names.
 */
export function toHttpResponse(thrown: unknown, context: InvocationContext): HttpResponseInit {
  const error = ensureError(thrown);
  if (error instanceof ValidationError)
    return reply(400, { code: error.code, message: error.message, field: error.field, rule: error.rule });
  if (error instanceof InvalidTransactionError) {
    return reply(400, {
      code: error.code,
      message: error.message,
      ...(error.field === undefined ? {} : { field: error.field }),
    });
  }
  if (error instanceof UpstreamError) {
    context.warn(`${error.service} unavailable: ${error.message}`);
    return {
      ...reply(503, { code: error.code, message: error.message }),
      headers: { 'Retry-After': String(RETRY_AFTER_SECONDS) },
    };
  }
  if (hasOwnStatus(error)) return reply(error.status, { code: error.code, message: error.message });
  context.error('unexpected error', error);
  return reply(500, {
    code: 'INTERNAL_ERROR',
    message: 'internal error; see the logs',
    correlationId: context.invocationId,
  });
}

function reply(status: number, error: ErrorBody['error']): HttpResponseInit {
  return { status, jsonBody: { error } satisfies ErrorBody };
}
