import { performance } from 'node:perf_hooks';

import { type RawData, WebSocket } from 'ws';

import { ensureError } from '../shared/errors';
import { EventStreamConnectError } from '../shared/relay-errors';
import { parseFrame, type StreamEvent } from './stream-frame';

export type { StreamEvent } from './stream-frame';

/** Why a connection ended: the server closed it (cleanly or not), no pong came, the buffer overflowed, the consumer closed it, or a socket error. */
export type StreamEndReason = 'closed-by-server' | 'ping-timeout' | 'overflow' | 'closed-by-client' | 'error';

/** Options of {@link connectEventStream}. */
export interface EventStreamOptions {
  /** The Event Stream URL, e.g. `ws://localhost:9985/api/v1/streams/valid_transactions`. */
  readonly url: string;
  /**
   * Pings this often; when no pong arrives within the same interval the socket is terminated and the connection
   * ends with `'ping-timeout'`. Also bounds the wait for the server's answer to a close frame.
   */
  readonly pingIntervalMs: number;
  /** Bound on the whole opening handshake (TCP connect and HTTP upgrade), in milliseconds. */
  readonly connectTimeoutMs: number;
  /**
   * Events received but not yet consumed. One more terminates the socket and ends the connection with `'overflow'`:
   * memory stays bounded and the server is never left stalled behind a slow reader (spec §7); the relay backfills.
   */
  readonly maxBufferedEvents: number;
  /**
   * Called with each skipped frame (binary frames decoded as UTF-8; the first 1,024 characters) and why it is not an
   * event. Exceptions it throws are ignored.
   */
  readonly onMalformedFrame?: (frame: string, reason: string) => void;
  /** Called with the round trip of each answered ping, for liveness metrics. Exceptions it throws are ignored. */
  readonly onPong?: (roundTripMs: number) => void;
  /** Aborting rejects a pending connect with the signal's reason, or closes an open connection (`'closed-by-client'`). */
  readonly signal?: AbortSignal;
}

/**
 * An open subscription. Iterating yields events in arrival order; the iteration ends (returns) once the socket has
 * closed and every buffered event was yielded; `endReason` then says why. It never reconnects: that is the relay's job.
 *
 * Single consumer: `[Symbol.asyncIterator]()` may be called once; a second call throws. Leaving a `for await` loop
 * early (`break`, `return`, a throw) closes the connection, drops what is still buffered and waits for the socket to
 * close. `close()` instead stops accepting frames but still yields what was buffered before it.
 */
export interface EventStreamConnection extends AsyncIterable<StreamEvent> {
  /** Undefined while the connection is live; set as soon as it starts to end. */
  readonly endReason: StreamEndReason | undefined;
  /** The socket error behind an `'error'` end, e.g. a frame over 64 KiB (`Max payload size exceeded`). */
  readonly endError: Error | undefined;
  /** Events accepted so far (yielded or still buffered); a frame that overflowed the buffer is not counted. */
  readonly received: number;
  /** Malformed frames skipped so far. */
  readonly malformed: number;
  /** Starts a clean close (close frame; terminated if the server has not answered within `pingIntervalMs`). */
  close(): void;
}

/** Largest frame accepted. An event is under 200 bytes; anything bigger ends the connection with `'error'`. */
const MAX_FRAME_BYTES = 64 * 1024;
const MAX_REPORTED_FRAME_CHARS = 1024;
const DONE: IteratorReturnResult<undefined> = { value: undefined, done: true };

/**
 * Opens the Event Stream and resolves once the socket is open; events arriving from then on are buffered.
 *
 * @throws RangeError when an interval, timeout or limit is not a positive integer.
 * @throws {@link EventStreamConnectError} naming the URL: an invalid URL, refused, timed out, or an upgrade answered
 * with another HTTP status (e.g. 404); the signal's reason when it aborts first.
 */
export async function connectEventStream(options: EventStreamOptions): Promise<EventStreamConnection> {
  for (const name of ['pingIntervalMs', 'connectTimeoutMs', 'maxBufferedEvents'] as const) {
    if (!Number.isSafeInteger(options[name]) || options[name] < 1) {
      throw new RangeError(`${name} must be a positive integer, got ${String(options[name])}`);
    }
  }
  options.signal?.throwIfAborted();
  let socket: WebSocket;
  try {
    // No compression: frames are tiny, and inflating costs memory per connection.
    socket = new WebSocket(options.url, { perMessageDeflate: false, maxPayload: MAX_FRAME_BYTES });
  } catch (error: unknown) {
    const cause = ensureError(error);
    throw new EventStreamConnectError({ url: options.url, failure: 'invalid-url', detail: cause.message, cause });
  }
  return handshake(socket, options);
}

function handshake(socket: WebSocket, options: EventStreamOptions): Promise<EventStreamConnection> {
  const { url, connectTimeoutMs, signal } = options;
  return new Promise((resolve, reject) => {
    let failure: unknown;
    const fail = (reason: unknown): void => {
      failure ??= reason;
      socket.terminate();
    };
    const onAbort = (): void => fail(signal?.reason);
    const onTimeout = (): void =>
      fail(
        new EventStreamConnectError({
          url,
          failure: 'timeout',
          detail: `no WebSocket handshake within ${connectTimeoutMs} ms`,
        }),
      );
    const onResponse = (_request: unknown, response: { statusCode?: number }): void => {
      const status = response.statusCode ?? 0;
      const detail = `the server answered the upgrade with HTTP ${status}`;
      fail(new EventStreamConnectError({ url, failure: 'http-status', status, detail }));
    };
    // ws follows an 'error' during the handshake with 'close'; the first failure recorded wins.
    const onError = (error: Error): void => {
      const refused = (error as NodeJS.ErrnoException).code === 'ECONNREFUSED';
      const detail = refused ? 'connection refused' : error.message;
      failure ??= new EventStreamConnectError({ url, failure: refused ? 'refused' : 'network', detail, cause: error });
    };
    const timer = setTimeout(onTimeout, connectTimeoutMs);
    const settle = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      socket.off('unexpected-response', onResponse).off('error', onError).off('close', onClose).off('open', onOpen);
    };
    const onClose = (): void => {
      settle();
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- rejects with the first recorded failure as it is (an abort reason or a connect error)
      reject(
        failure ?? new EventStreamConnectError({ url, failure: 'network', detail: 'closed during the handshake' }),
      );
    };
    const onOpen = (): void => {
      settle();
      resolve(new EventStreamConnectionImpl(socket, options));
    };
    socket.on('unexpected-response', onResponse).on('error', onError).on('close', onClose).on('open', onOpen);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

class EventStreamConnectionImpl implements EventStreamConnection {
  readonly #socket: WebSocket;
  readonly #options: EventStreamOptions;
  readonly #buffer = new EventQueue();
  /** Pending `next()` calls; non-empty only while the buffer is empty. */
  readonly #waiters: ((result: IteratorResult<StreamEvent, undefined>) => void)[] = [];
  readonly #socketClosed: Promise<void>;
  #endReason: StreamEndReason | undefined;
  #endError: Error | undefined;
  #received = 0;
  #malformed = 0;
  #closed = false;
  #iterated = false;
  #pingSentAt: number | undefined;
  readonly #pingTimer: NodeJS.Timeout;
  #closeTimer: NodeJS.Timeout | undefined;
  readonly #onAbort = (): void => this.close();

  constructor(socket: WebSocket, options: EventStreamOptions) {
    this.#socket = socket;
    this.#options = options;
    socket.on('message', (data: RawData, isBinary: boolean) => this.#onMessage(data, isBinary));
    socket.on('pong', () => this.#onPong());
    socket.on('error', (error: Error) => this.#end('error', error));
    this.#socketClosed = new Promise((resolve) =>
      socket.once('close', () => {
        this.#onClose();
        resolve();
      }),
    );
    this.#pingTimer = setInterval(() => this.#ping(), options.pingIntervalMs);
    options.signal?.addEventListener('abort', this.#onAbort, { once: true });
  }

  get endReason(): StreamEndReason | undefined {
    return this.#endReason;
  }

  get endError(): Error | undefined {
    return this.#endError;
  }

  get received(): number {
    return this.#received;
  }

  get malformed(): number {
    return this.#malformed;
  }

  close(): void {
    if (this.#endReason !== undefined) return;
    this.#end('closed-by-client');
    this.#socket.close(1000);
    this.#closeTimer = setTimeout(() => this.#socket.terminate(), this.#options.pingIntervalMs);
  }

  [Symbol.asyncIterator](): AsyncIterator<StreamEvent, undefined> {
    if (this.#iterated) throw new Error('an EventStreamConnection has a single consumer and is already being iterated');
    this.#iterated = true;
    return {
      next: () => {
        const event = this.#buffer.shift();
        if (event !== undefined) return Promise.resolve({ value: event, done: false });
        if (this.#closed) return Promise.resolve(DONE);
        return new Promise((resolve) => this.#waiters.push(resolve));
      },
      return: async () => {
        this.#buffer.clear();
        this.close();
        await this.#socketClosed;
        return DONE;
      },
    };
  }

  #onMessage(data: RawData, isBinary: boolean): void {
    // After close() or a terminate nothing more is accepted, so that the end is a clean cut.
    if (this.#endReason !== undefined) return;
    const frame = toBuffer(data).toString('utf8');
    const parsed = isBinary ? 'binary frame' : parseFrame(frame);
    if (typeof parsed === 'string') {
      this.#malformed += 1;
      notify(() => this.#options.onMalformedFrame?.(frame.slice(0, MAX_REPORTED_FRAME_CHARS), parsed));
      return;
    }
    const waiter = this.#waiters.shift();
    if (waiter === undefined && this.#buffer.length >= this.#options.maxBufferedEvents) {
      this.#end('overflow');
      this.#socket.terminate();
      return;
    }
    this.#received += 1;
    if (waiter === undefined) this.#buffer.push(parsed);
    else waiter({ value: parsed, done: false });
  }

  #ping(): void {
    if (this.#pingSentAt !== undefined) {
      this.#end('ping-timeout');
      this.#socket.terminate();
    } else if (this.#socket.readyState === WebSocket.OPEN) {
      this.#pingSentAt = performance.now();
      this.#socket.ping();
    }
  }

  #onPong(): void {
    if (this.#pingSentAt === undefined) return;
    const roundTripMs = performance.now() - this.#pingSentAt;
    this.#pingSentAt = undefined;
    notify(() => this.#options.onPong?.(roundTripMs));
  }

  /** Records the first reason only; stops pinging and listening to the signal. */
  #end(reason: StreamEndReason, error?: Error): void {
    if (this.#endReason !== undefined) return;
    this.#endReason = reason;
    this.#endError = error;
    clearInterval(this.#pingTimer);
    this.#options.signal?.removeEventListener('abort', this.#onAbort);
  }

  #onClose(): void {
    this.#end('closed-by-server');
    clearTimeout(this.#closeTimer);
    this.#closed = true;
    // Waiters exist only when the buffer is empty, so nothing is skipped here.
    for (const waiter of this.#waiters.splice(0)) waiter(DONE);
  }
}

/** A FIFO queue with O(1) push and shift (`Array#shift` may copy), holding at most about twice its length. */
class EventQueue {
  #items: StreamEvent[] = [];
  #head = 0;

  get length(): number {
    return this.#items.length - this.#head;
  }

  push(event: StreamEvent): void {
    this.#items.push(event);
  }

  shift(): StreamEvent | undefined {
    const event = this.#items[this.#head];
    if (event === undefined) return undefined;
    this.#head += 1;
    if (this.#head * 2 >= this.#items.length) this.#compact();
    return event;
  }

  clear(): void {
    this.#items = [];
    this.#head = 0;
  }

  #compact(): void {
    this.#items = this.#items.slice(this.#head);
    this.#head = 0;
  }
}

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  return Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
}

/** Runs a caller's callback from inside a socket event handler, which must never throw. */
function notify(callback: () => void): void {
  try {
    callback();
  } catch {
    // Documented on the options: a throwing callback is the caller's bug and must not kill the connection.
  }
}
