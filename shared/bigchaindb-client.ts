import { types } from 'node:util';

import type { ValidateFunction } from 'ajv';

import type { AssetMatch, BigchainDb, BlockTransactionRef, LedgerBlock, NodeInfo } from './bigchaindb';
import {
  type BlockReplyTransaction,
  isAssetList,
  isBlock,
  isHeightList,
  isInfo,
  isTransaction,
  isTransactionList,
} from './bigchaindb-replies';
import { ensureError, fromAjvErrors, TransactionRejectedError, UpstreamError } from './errors';
import { type JsonValue, stringifyJson } from './transaction/json-value';

export type { AssetMatch, BigchainDb, BlockTransactionRef, LedgerBlock, NodeInfo } from './bigchaindb';

// A small client for BigchainDB's HTTP API v1 (spec §2). Not the official driver: it never reads error
// bodies and its timeout budget is never reset (spec §8.3). No retries here: callers own their retry loops.

/** Options of a {@link BigchainDbClient}. */
export interface BigchainDbClientOptions {
  /** The node's HTTP API v1 root, ending with `/api/v1/`: `http://127.0.0.1:9984/api/v1/`. */
  readonly apiUrl: string;
  /** Budget of each request, from sending to the last byte of the reply, in milliseconds. Default 10,000. */
  readonly requestTimeoutMs?: number;
}

const SERVICE = 'bigchaindb';
const EXAMPLE_API_URL = 'http://127.0.0.1:9984/api/v1/';
const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;

const NOT_FOUND = Symbol('not found');

interface Call {
  readonly method: 'GET' | 'POST';
  readonly url: URL;
  readonly signal: AbortSignal | undefined;
  readonly body?: string;
  /** A JSON 404 (the node's `Not found`) means "no such thing" rather than a failure. */
  readonly notFoundIsAnswer?: boolean;
}

/**
 * A typed client for BigchainDB's HTTP API v1, used by the relay and the Functions app. Every request has
 * its own timeout and takes an optional `AbortSignal`; aborting through it rejects with the signal's reason.
 * Numbers in returned transactions are plain JavaScript numbers.
 *
 * Every method throws `UpstreamError` (service `bigchaindb`): status 503 when the node cannot be reached,
 * does not answer within `requestTimeoutMs`, or a gateway before it answers 502/503/504; status 502 for any
 * other unexpected status or a malformed body, with `upstreamStatus` and `upstreamMessage` when it replied.
 */
export class BigchainDbClient implements BigchainDb {
  readonly #apiUrl: URL;
  readonly #requestTimeoutMs: number;

  /** @throws TypeError when `apiUrl` is not an http(s) URL ending with `/api/v1/`; RangeError for a bad timeout. */
  constructor(options: BigchainDbClientOptions) {
    this.#apiUrl = parseApiUrl(options.apiUrl);
    this.#requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    if (!Number.isSafeInteger(this.#requestTimeoutMs) || this.#requestTimeoutMs <= 0) {
      throw new RangeError(`requestTimeoutMs must be a positive integer, got ${this.#requestTimeoutMs}`);
    }
  }

  /** The node's version and advertised Event Stream URL, from `GET /` at the node root (`apiUrl` without `api/v1/`). */
  async getInfo(signal?: AbortSignal): Promise<NodeInfo> {
    const call: Call = { method: 'GET', url: new URL('../../', this.#apiUrl), signal };
    const info = expectShape(call, await this.#request(call), isInfo, 'node info');
    return { version: info.version, streamsUrl: info.api.v1.streams };
  }

  /**
   * The block at `height`, or undefined above the latest height (the node's 404). Heights up to the latest
   * always have a block, possibly with no transactions (spec §2.8).
   *
   * @throws RangeError when `height` is not a non-negative integer.
   */
  async getBlock(height: number, signal?: AbortSignal): Promise<LedgerBlock | undefined> {
    if (!Number.isSafeInteger(height) || height < 0) {
      throw new RangeError(`block height must be a non-negative integer, got ${height}`);
    }
    const call: Call = { method: 'GET', url: this.#url(`blocks/${height}`), signal, notFoundIsAnswer: true };
    const reply = await this.#request(call);
    if (reply === NOT_FOUND) return undefined;
    const block = expectShape(call, reply, isBlock, 'block');
    return { height: block.height, transactions: block.transactions.flatMap(toRef), raw: reply };
  }

  /** The committed transaction with this id, or undefined when the node has none (pending ones included). */
  async getTransaction(id: string, signal?: AbortSignal): Promise<unknown> {
    const url = this.#url(`transactions/${encodeURIComponent(id)}`);
    const call: Call = { method: 'GET', url, signal, notFoundIsAnswer: true };
    const reply = await this.#request(call);
    return reply === NOT_FOUND ? undefined : expectShape(call, reply, isTransaction, 'transaction');
  }

  /** The committed transactions of an asset (its CREATE, then its TRANSFERs), optionally of one operation only. */
  async listTransactions(assetId: string, operation?: 'CREATE' | 'TRANSFER', signal?: AbortSignal): Promise<unknown[]> {
    const url = this.#url('transactions');
    url.searchParams.set('asset_id', assetId);
    if (operation !== undefined) url.searchParams.set('operation', operation);
    const call: Call = { method: 'GET', url, signal };
    return expectShape(call, await this.#request(call), isTransactionList, 'transaction list');
  }

  /**
   * Assets whose data matches a text search, at most `limit` (the node's default when omitted).
   *
   * @throws RangeError when `limit` is not a positive integer.
   */
  async searchAssets(text: string, limit?: number, signal?: AbortSignal): Promise<AssetMatch[]> {
    if (limit !== undefined && (!Number.isSafeInteger(limit) || limit <= 0)) {
      throw new RangeError(`limit must be a positive integer, got ${limit}`);
    }
    const url = this.#url('assets');
    url.searchParams.set('search', text);
    if (limit !== undefined) url.searchParams.set('limit', String(limit));
    const call: Call = { method: 'GET', url, signal };
    return expectShape(call, await this.#request(call), isAssetList, 'asset list');
  }

  /** Heights of the blocks holding a transaction: one height once committed, none before. */
  async listBlocks(transactionId: string, signal?: AbortSignal): Promise<number[]> {
    const url = this.#url('blocks');
    url.searchParams.set('transaction_id', transactionId);
    const call: Call = { method: 'GET', url, signal };
    return expectShape(call, await this.#request(call), isHeightList, 'block height list');
  }

  /**
   * Submits a signed transaction; resolves with the node's echo (HTTP 202). `commit` resolves once it is in a
   * block, `sync` after the mempool check, `async` at once (spec §2.3). Numbers that a JavaScript number
   * would not keep (`LosslessNumber`s from the shared JSON parser) are sent as their exact text.
   *
   * @throws TransactionRejectedError when the node refuses it with 400, carrying the node's message verbatim.
   */
  async postTransaction(
    transaction: unknown,
    mode: 'async' | 'sync' | 'commit',
    signal?: AbortSignal,
  ): Promise<unknown> {
    const body = stringifyJson(transaction as JsonValue) as string | undefined;
    if (body === undefined) throw new TypeError('the transaction is not a JSON value');
    const url = this.#url('transactions');
    url.searchParams.set('mode', mode);
    return this.#request({ method: 'POST', url, signal, body });
  }

  #url(path: string): URL {
    return new URL(path, this.#apiUrl);
  }

  /** Sends a call and returns its parsed JSON reply (or {@link NOT_FOUND}); anything else becomes an error. */
  async #request(call: Call): Promise<unknown> {
    const { status, text } = await this.#send(call);
    const json = parseJsonText(text);
    if (status >= 200 && status < 300) {
      if (json.ok) return json.value;
      const message = `${SERVICE} replied to ${label(call)} with a body that is not JSON`;
      throw new UpstreamError({ status: 502, service: SERVICE, message, upstreamStatus: status, cause: json.error });
    }
    return notFoundOrThrow(call, status, json.ok ? json.value : undefined);
  }

  async #send(call: Call): Promise<{ status: number; text: string }> {
    const timeout = AbortSignal.timeout(this.#requestTimeoutMs);
    const linked = linkSignals([timeout, call.signal]);
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (call.body !== undefined) headers['Content-Type'] = 'application/json';
    try {
      const response = await fetch(call.url, { method: call.method, headers, body: call.body, signal: linked.signal });
      // Reading the body stays under the same signal, so a node that stalls mid-reply times out too.
      return { status: response.status, text: await response.text() };
    } catch (thrown: unknown) {
      const error = ensureError(thrown);
      if (call.signal?.aborted === true) throw ensureError(call.signal.reason);
      const message = timeout.aborted
        ? `${SERVICE} did not answer ${label(call)} within ${this.#requestTimeoutMs} ms`
        : `${SERVICE} is unreachable: ${label(call)} failed (${networkReason(error)})`;
      throw new UpstreamError({ status: 503, service: SERVICE, message, cause: error });
    } finally {
      linked.dispose();
    }
  }
}

/**
 * One signal that aborts with whichever source aborts first. Not `AbortSignal.any`: on Node 20 every
 * signal it makes stays reachable from a long-lived source (the relay's shutdown signal, passed to each
 * of millions of requests), a measured leak of about 40 bytes per request.
 */
function linkSignals(sources: readonly (AbortSignal | undefined)[]): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const present = sources.filter((source): source is AbortSignal => source !== undefined);
  const onAbort = (event: Event): void => controller.abort((event.target as AbortSignal).reason);
  for (const source of present) {
    if (source.aborted) controller.abort(source.reason);
    else source.addEventListener('abort', onAbort, { once: true });
  }
  return {
    signal: controller.signal,
    dispose: () => present.forEach((source) => source.removeEventListener('abort', onAbort)),
  };
}

/**
 * The advertised Event Stream URL corrected for where this client reaches the node: a `0.0.0.0`,
 * `localhost`, `127.0.0.1`, `::` or `::1` host, which only makes sense on the node's own machine (Docker
 * images advertise `0.0.0.0`, spec §2.1; issue #1465 in §7.1), is replaced by the host of `apiUrl`,
 * keeping the advertised scheme, port and path. Any other URL is returned unchanged.
 *
 * @throws TypeError when either argument is not an absolute URL.
 */
export function resolveStreamUrl(advertised: string, apiUrl: string): string {
  const stream = new URL(advertised);
  if (!LOCAL_HOSTS.has(stream.hostname)) return advertised;
  stream.hostname = new URL(apiUrl).hostname;
  return stream.href;
}

const LOCAL_HOSTS: ReadonlySet<string> = new Set(['0.0.0.0', 'localhost', '127.0.0.1', '[::]', '[::1]']);

function parseApiUrl(apiUrl: string): URL {
  let url: URL;
  try {
    url = new URL(apiUrl);
  } catch {
    throw new TypeError(`BigchainDB apiUrl is not an absolute URL; expected one like ${EXAMPLE_API_URL}`);
  }
  // fetch refuses URLs with credentials, and they must not reach a message.
  if (url.username !== '' || url.password !== '') throw new TypeError('BigchainDB apiUrl must not carry credentials');
  const isHttp = url.protocol === 'http:' || url.protocol === 'https:';
  if (!isHttp || !url.pathname.endsWith('/api/v1/') || url.search !== '' || url.hash !== '') {
    const shown = `${url.protocol}//${url.host}${url.pathname}`;
    throw new TypeError(
      `BigchainDB apiUrl must be an http(s) URL ending with /api/v1/, like ${EXAMPLE_API_URL}; got ${shown}`,
    );
  }
  return url;
}

function toRef(transaction: BlockReplyTransaction): BlockTransactionRef[] {
  const { id, operation, asset } = transaction;
  if (operation === 'CREATE') return [{ transactionId: id, assetId: id, operation }];
  // The schema's if/then guarantees a 64-hex asset.id on every TRANSFER.
  if (operation === 'TRANSFER') return [{ transactionId: id, assetId: asset['id'] as string, operation }];
  return [];
}

/** The reply if it fits `validate`, otherwise a 502 naming the first offending field. */
function expectShape<T>(call: Call, reply: unknown, validate: ValidateFunction<T>, subject: string): T {
  if (validate(reply)) return reply;
  const cause = fromAjvErrors(validate.errors, subject);
  const message = `${SERVICE} replied to ${label(call)} with a malformed ${subject}: ${cause.message}`;
  throw new UpstreamError({ status: 502, service: SERVICE, message, cause });
}

function label({ method, url }: Call): string {
  return `${method} ${url.pathname}${url.search}`;
}

type Parsed = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: Error };

/** {@link NOT_FOUND} for the node's JSON 404 to a call that takes it as an answer; else throws the error the reply means. */
function notFoundOrThrow(call: Call, status: number, body: unknown): typeof NOT_FOUND {
  // Only the node's JSON 404 means "not found"; its HTML 404 means no such route, i.e. a wrong apiUrl (spec §1.4).
  if (status === 404 && call.notFoundIsAnswer === true && messageOf(body) !== undefined) return NOT_FOUND;
  if (status === 400 && call.method === 'POST' && hasStringMessage(body)) {
    throw new TransactionRejectedError({ message: body.message });
  }
  throw failedStatus(call, status, messageOf(body));
}

function parseJsonText(text: string): Parsed {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (thrown: unknown) {
    return { ok: false, error: ensureError(thrown) };
  }
}

/** The node's `message`: a string (spec §1.4 shapes 1, 3, 4) or, for a bad query argument, `{arg: text}` as JSON. */
function messageOf(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null || !('message' in body)) return undefined;
  const { message } = body;
  if (typeof message === 'string') return message;
  return typeof message === 'object' && message !== null ? JSON.stringify(message) : undefined;
}

function hasStringMessage(body: unknown): body is { readonly message: string } {
  return typeof body === 'object' && body !== null && 'message' in body && typeof body.message === 'string';
}

/** An unexpected status: 503 when a gateway before the node says it is down, 502 otherwise. */
function failedStatus(call: Call, status: number, upstreamMessage: string | undefined): UpstreamError {
  const gatewayDown = status === 502 || status === 503 || status === 504;
  const said = upstreamMessage === undefined ? '' : `: ${upstreamMessage}`;
  const message = `${SERVICE} replied ${status} to ${label(call)}${said}`;
  const failure = gatewayDown ? 503 : 502;
  return new UpstreamError({ status: failure, service: SERVICE, message, upstreamStatus: status, upstreamMessage });
}

// fetch's TypeError says only "fetch failed"; the reason (ECONNREFUSED, ENOTFOUND, ...) is its cause. An
// AggregateError (every address of a name refused) has an empty message but a code.
function networkReason(error: Error): string {
  const { cause } = error;
  if (!(cause instanceof Error || types.isNativeError(cause))) return error.message;
  const { code } = cause as NodeJS.ErrnoException;
  return cause.message !== '' ? cause.message : (code ?? cause.name);
}
