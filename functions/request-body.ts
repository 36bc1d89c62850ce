import type { HttpRequest } from '@azure/functions';

import { ValidationError } from '../shared/errors';
import { PayloadTooLargeError, UnsupportedMediaTypeError } from './http-errors';

/** The largest request body an endpoint reads unless it says otherwise: 1 MiB. */
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** How {@link readJsonText} and {@link readJsonBody} read a body. */
export interface ReadBodyOptions {
  /** Default {@link DEFAULT_MAX_BODY_BYTES}. */
  readonly maxBytes?: number;
  /** An empty body (whatever its `Content-Type`) reads as this value instead of being refused. */
  readonly emptyAs?: unknown;
}

/**
 * Reads a request's JSON body as text, refusing it before parsing when it is not JSON or too large.
 *
 * @throws UnsupportedMediaTypeError unless `Content-Type` is `application/json` or `application/*+json`.
 * @throws PayloadTooLargeError when `Content-Length` or the body itself exceeds `maxBytes`.
 * @throws ValidationError (field `''`, rule `utf-8`) when the body is not UTF-8.
 */
export async function readJsonText(request: HttpRequest, options: ReadBodyOptions = {}): Promise<string> {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BODY_BYTES;
  if (Number(request.headers.get('content-length') ?? 0) > maxBytes) throw new PayloadTooLargeError(maxBytes);
  const bytes = await request.arrayBuffer();
  if (bytes.byteLength === 0 && 'emptyAs' in options) return '';
  assertJsonMediaType(request.headers.get('content-type'));
  if (bytes.byteLength > maxBytes) throw new PayloadTooLargeError(maxBytes);
  return decodeUtf8(bytes);
}

/** @throws UnsupportedMediaTypeError unless the content type is `application/json` or `application/*+json`. */
function assertJsonMediaType(contentType: string | null): void {
  const mediaType = contentType?.split(';', 1)[0]?.trim().toLowerCase() ?? '';
  if (!/^application\/([\w.+-]+\+)?json$/.test(mediaType)) throw new UnsupportedMediaTypeError(contentType);
}

/** @throws ValidationError (field `''`, rule `utf-8`) when the body is not UTF-8. */
function decodeUtf8(bytes: ArrayBuffer): string {
  try {
    return utf8.decode(bytes);
  } catch {
    throw new ValidationError({ message: 'request body must be UTF-8', field: '', rule: 'utf-8' });
  }
}

/**
 * Reads and parses a request's JSON body.
 *
 * @throws ValidationError (field `''`, rule `json`) when the body is not JSON, plus what {@link readJsonText} throws.
 */
export async function readJsonBody(request: HttpRequest, options: ReadBodyOptions = {}): Promise<unknown> {
  const text = await readJsonText(request, options);
  return text === '' && 'emptyAs' in options ? options.emptyAs : parseJsonText(text);
}

/** `JSON.parse` with a {@link ValidationError} (rule `json`) for malformed text. */
export function parseJsonText(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error: unknown) {
    const detail = error instanceof SyntaxError ? `: ${error.message}` : '';
    throw new ValidationError({ message: `request body must be JSON${detail}`, field: '', rule: 'json' });
  }
}
