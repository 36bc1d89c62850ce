import type { ServerResponse } from 'node:http';

import { ensureError } from '../../shared/errors';
import type { RpcHttpCookie, RpcHttpData, RpcTypedData } from './rpc-types';

/** What the writer needs of the HTTP trigger server. */
export interface ResponseWriterContext {
  readonly options: {
    readonly log: (entry: { level: 'info' | 'warn' | 'error'; msg: string } & Record<string, unknown>) => void;
  };
  /** True once the server is closing: every response then carries `Connection: close`. */
  readonly closing: boolean;
}

/** What was written, for the request log. */
export interface WrittenResponse {
  readonly status: number;
}

/** Writes a response without a body: `Content-Length: 0` unless the status forbids a body (204, 304). */
export function writeEmpty(
  context: ResponseWriterContext,
  response: ServerResponse,
  status: number,
  headers: Record<string, string> = {},
): WrittenResponse {
  const framing = status === 204 || status === 304 ? {} : { 'content-length': '0' };
  response.writeHead(status, { ...headers, ...(context.closing ? { connection: 'close' } : {}), ...framing });
  response.end();
  return { status };
}

// Headers the server derives from the body it writes; a function's values for them would corrupt the framing.
const FRAMING_HEADERS = new Set(['content-length', 'transfer-encoding', 'connection']);
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// What Node's `validateHeaderValue` accepts: tab, visible ASCII, space and obs-text.
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

/**
 * Writes the worker's `RpcHttp` response: `statusCode` (a string; 200 when absent), headers, cookies as
 * `Set-Cookie` in ASP.NET's format, and the body. No `http` at all is the host's empty `ObjectResult`: 204.
 * A response the host could not write either (bad status, header or cookie name) becomes 500, logged.
 */
export function writeHttpResponse(
  context: ResponseWriterContext,
  response: ServerResponse,
  http: RpcHttpData | undefined,
  functionName: string,
): WrittenResponse {
  if (!http) return writeEmpty(context, response, 204);
  let status: number;
  let headers: string[];
  const { body, defaultType } = bodyBytes(http.body);
  try {
    status = statusOf(http.statusCode);
    headers = responseHeaders(http, defaultType);
  } catch (thrown) {
    const problem = ensureError(thrown).message;
    context.options.log({
      level: 'error',
      msg: `Function '${functionName}' returned an HTTP response the host cannot send: ${problem}`,
      functionName,
    });
    return writeEmpty(context, response, 500);
  }
  const bodiless = status === 204 || status === 304;
  if (!bodiless) headers.push('content-length', String(body.length));
  if (context.closing) headers.push('connection', 'close');
  response.writeHead(status, headers);
  response.end(bodiless ? undefined : body); // Node leaves out the body of a HEAD response itself
  return { status };
}

function statusOf(statusCode: string | null | undefined): number {
  if (statusCode === undefined || statusCode === null || statusCode === '') return 200;
  const status = Number(statusCode);
  if (!Number.isInteger(status) || status < 200 || status > 599)
    throw new Error(`statusCode '${statusCode}' is not a status from 200 to 599`);
  return status;
}

/** The response headers as a flat `[name, value, ...]` list (names keep their case; Set-Cookie may repeat). */
function responseHeaders(http: RpcHttpData, defaultType: string | undefined): string[] {
  const { headers, hasType } = appHeaders(http.headers ?? {});
  headers.push(...cookieHeaders(http.cookies ?? []));
  if (defaultType && !hasType) headers.push('content-type', defaultType);
  return headers;
}

/** The app's headers as a flat list, without the framing headers the writer sets; and whether one is Content-Type. */
function appHeaders(source: Record<string, string>): { headers: string[]; hasType: boolean } {
  const headers: string[] = [];
  let hasType = false;
  for (const [name, raw] of Object.entries(source)) {
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-conversion -- the headers come from app code at run time, typed or not
    const value = String(raw);
    if (!TOKEN.test(name)) throw new Error(`header name '${name}' is not an HTTP token`);
    if (!FIELD_VALUE.test(value)) throw new Error(`header '${name}' has a character not allowed in a header value`);
    const lower = name.toLowerCase();
    hasType ||= lower === 'content-type';
    if (!FRAMING_HEADERS.has(lower)) headers.push(name, value);
  }
  return { headers, hasType };
}

/** A `set-cookie` name and value pair for each cookie, as a flat list. */
function cookieHeaders(cookies: readonly RpcHttpCookie[]): string[] {
  const headers: string[] = [];
  for (const cookie of cookies) {
    const line = formatSetCookie(cookie);
    if (!FIELD_VALUE.test(line))
      throw new Error(`cookie '${cookie.name ?? ''}' has a character not allowed in a header value`);
    headers.push('set-cookie', line);
  }
  return headers;
}

/** The response body bytes, and the content type the host's formatters give a string or JSON body. */
function bodyBytes(data: RpcTypedData | null | undefined): { body: Buffer; defaultType?: string } {
  if (!data) return { body: Buffer.alloc(0) };
  const view = data.bytes ?? data.stream;
  if (view) return { body: Buffer.from(view.buffer, view.byteOffset, view.byteLength) };
  if (typeof data.string === 'string')
    return { body: Buffer.from(data.string, 'utf8'), defaultType: 'text/plain; charset=utf-8' };
  if (typeof data.json === 'string')
    return { body: Buffer.from(data.json, 'utf8'), defaultType: 'application/json; charset=utf-8' };
  const number = data.int ?? data.double;
  if (typeof number === 'number')
    return { body: Buffer.from(String(number)), defaultType: 'text/plain; charset=utf-8' };
  return { body: Buffer.alloc(0) };
}

/**
 * `Set-Cookie` as ASP.NET's `ResponseCookies.Append` writes it from the host's `CookieOptions`: the value
 * escaped as `Uri.EscapeDataString` does, then expires, max-age, domain, path (`/` unless the cookie sets
 * one), secure, samesite (`none` only for the library's `explicitNone`) and httponly.
 *
 * @throws Error when the name is not an HTTP token, as `SetCookieHeaderValue` does.
 */
function formatSetCookie(cookie: RpcHttpCookie): string {
  const name = cookie.name ?? '';
  if (!TOKEN.test(name)) throw new Error(`cookie name '${name}' is not an HTTP token`);
  return [
    `${name}=${escapeDataString(cookie.value ?? '')}`,
    ...lifetimeAttributes(cookie),
    ...scopeAttributes(cookie),
    ...flagAttributes(cookie),
  ].join('; ');
}

/** The cookie's `expires` and `max-age` attributes, as it sets them. */
function lifetimeAttributes(cookie: RpcHttpCookie): string[] {
  const parts: string[] = [];
  const expires = cookie.expires?.value;
  if (expires)
    parts.push(`expires=${new Date((expires.seconds ?? 0) * 1000 + (expires.nanos ?? 0) / 1e6).toUTCString()}`);
  const maxAge = cookie.maxAge?.value;
  if (typeof maxAge === 'number') parts.push(`max-age=${Math.trunc(maxAge)}`);
  return parts;
}

/** The cookie's `domain` (if set) and `path` (`/` unless the cookie sets one) attributes. */
function scopeAttributes(cookie: RpcHttpCookie): string[] {
  const parts: string[] = [];
  if (cookie.domain?.value) parts.push(`domain=${cookie.domain.value}`);
  const path = cookie.path ? cookie.path.value : '/';
  if (path) parts.push(`path=${path}`);
  return parts;
}

/** The cookie's `secure`, `samesite` and `httponly` attributes, as it sets them. */
function flagAttributes(cookie: RpcHttpCookie): string[] {
  const parts: string[] = [];
  if (cookie.secure?.value === true) parts.push('secure');
  const sameSite = SAME_SITE[cookie.sameSite ?? 'none'];
  if (sameSite) parts.push(`samesite=${sameSite}`);
  if (cookie.httpOnly?.value === true) parts.push('httponly');
  return parts;
}

// RpcHttpCookie.SameSite → ASP.NET SameSiteMode: the library's 'none' means unset (Unspecified, not written).
const SAME_SITE: Readonly<Record<string, string | undefined>> = { strict: 'strict', lax: 'lax', explicitNone: 'none' };

/** .NET's `Uri.EscapeDataString`: everything but RFC 3986 unreserved characters is percent-encoded. */
function escapeDataString(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`);
}
