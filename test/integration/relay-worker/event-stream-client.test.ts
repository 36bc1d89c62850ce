import { once } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';

import { type WebSocket, WebSocketServer } from 'ws';

import type { DevNode } from '../../../dev/bigchaindb/dev-node';
import {
  connectEventStream,
  type EventStreamConnection,
  type EventStreamOptions,
  type StreamEvent,
} from '../../../relay-worker/event-stream-client';
import { EventStreamConnectError } from '../../../shared/relay-errors';
import { generateKeyPair } from '../../../shared/transaction/signing';
import { startTestNode } from '../../helpers/dev-node';
import {
  createTransaction,
  outputTo,
  postRaw,
  type SignedTransaction,
  transferTransaction,
} from '../../helpers/transactions';

const STREAM_PATH = '/api/v1/streams/valid_transactions';
const ID_A = 'a'.repeat(64);
const ID_B = 'b'.repeat(64);
const ID_C = 'c'.repeat(64);

const alice = generateKeyPair();
const bob = generateKeyPair();

/** Everything a test opened, closed after it in reverse order. */
const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function startNode(): Promise<DevNode> {
  const node = await startTestNode();
  // Closing twice is harmless, so a test may close its node itself.
  cleanups.push(() => node.close());
  return node;
}

async function connect(url: string, options: Partial<EventStreamOptions> = {}): Promise<EventStreamConnection> {
  const connection = await connectEventStream({
    url,
    pingIntervalMs: 60_000,
    connectTimeoutMs: 5_000,
    maxBufferedEvents: 100,
    ...options,
  });
  cleanups.push(async () => {
    // Iterating to the end waits for the socket to close; the iteration may already be taken by the test.
    connection.close();
    try {
      for await (const _ of connection);
    } catch {
      // Already iterated by the test, which then also waited for the end.
    }
  });
  return connection;
}

/** A raw ws server on 127.0.0.1; `nextClient()` resolves with the server side of the next connection. */
async function startWebSocketServer(
  options: { autoPong?: boolean } = {},
): Promise<{ url: string; nextClient(): Promise<WebSocket> }> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0, ...options });
  await once(server, 'listening');
  cleanups.push(async () => {
    for (const client of server.clients) client.terminate();
    await new Promise((resolve) => server.close(resolve));
  });
  const { port } = server.address() as { port: number };
  return {
    url: `ws://127.0.0.1:${port}${STREAM_PATH}`,
    nextClient: async () => ((await once(server, 'connection')) as [WebSocket])[0],
  };
}

/** A TCP server that accepts connections and never says a word. */
async function startSilentServer(): Promise<{ url: string; server: Server }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  cleanups.push(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  });
  const { port } = server.address() as { port: number };
  return { url: `ws://127.0.0.1:${port}${STREAM_PATH}`, server };
}

/** Every event until the iteration ends. */
async function drain(connection: EventStreamConnection): Promise<StreamEvent[]> {
  const events: StreamEvent[] = [];
  for await (const event of connection) events.push(event);
  return events;
}

/** The next `count` events of `iterator`; fails if the iteration ends first. */
async function take(iterator: AsyncIterator<StreamEvent>, count: number): Promise<StreamEvent[]> {
  const events: StreamEvent[] = [];
  while (events.length < count) {
    const result = await iterator.next();
    if (result.done === true) throw new Error(`the iteration ended after ${events.length} of ${count} events`);
    events.push(result.value);
  }
  return events;
}

/** The event text a node sends (spec §7). */
function frame(height: number, assetId: string, transactionId: string): string {
  return `{"height": ${height}, "asset_id": "${assetId}", "transaction_id": "${transactionId}"}`;
}

/** Posts `tx` in commit mode and returns the event it must cause. */
async function commit(node: DevNode, tx: SignedTransaction): Promise<StreamEvent> {
  expect(await postRaw(node.apiUrl, tx, 'commit')).toEqual({ status: 202, statusText: 'ACCEPTED', body: tx });
  const assetId = tx.operation === 'CREATE' ? tx.id : (tx['asset'] as { id: string }).id;
  return { height: node.latestHeight, assetId, transactionId: tx.id };
}

/** Resolves with the error `promise` rejects with; fails if it resolves. */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error,
  );
}

function connectErrorOf(error: unknown): Record<string, unknown> {
  expect(error).toBeInstanceOf(EventStreamConnectError);
  const { name, code, message, url, failure, status } = error as EventStreamConnectError;
  return { name, code, message, url, failure, status };
}

describe('connectEventStream', () => {
  describe('delivery from a dev node', () => {
    it('yields events posted after connecting, in commit order, with exact fields', async () => {
      const node = await startNode();
      const connection = await connect(node.streamUrl);
      const iterator = connection[Symbol.asyncIterator]();
      const first = createTransaction(alice, { vin: 'WVWZZZ1JZXWSTREAM1' });
      const second = createTransaction(alice, { vin: 'WVWZZZ1JZXWSTREAM2' });
      const transfer = transferTransaction([{ tx: first, outputIndex: 0 }], [outputTo(bob)], [alice]);

      const expected = [await commit(node, first), await commit(node, second), await commit(node, transfer)];

      expect(expected).toEqual([
        { height: 1, assetId: first.id, transactionId: first.id },
        { height: 2, assetId: second.id, transactionId: second.id },
        { height: 3, assetId: first.id, transactionId: transfer.id },
      ]);
      expect(await take(iterator, 3)).toEqual(expected);
      expect([connection.endReason, connection.received, connection.malformed]).toEqual([undefined, 3, 0]);
    });

    it("ends the iteration with 'closed-by-server' after the last event when the node closes", async () => {
      const node = await startNode();
      const connection = await connect(node.streamUrl);
      const iterator = connection[Symbol.asyncIterator]();
      const expected = await commit(node, createTransaction(alice, { vin: 'WVWZZZ1JZXWSTREAM3' }));
      expect(await take(iterator, 1)).toEqual([expected]);

      await node.close();

      expect(await iterator.next()).toEqual({ value: undefined, done: true });
      expect([connection.endReason, connection.endError, connection.received]).toEqual([
        'closed-by-server',
        undefined,
        1,
      ]);
    });

    it('keeps a paused stream open across several ping intervals, because the node still answers pings', async () => {
      // Ping/pong cannot tell a stalled publisher from a quiet chain (spec §7): the relay also probes blocks over HTTP.
      const node = await startNode();
      let pongs = 0;
      let fifthPong: () => void = () => undefined;
      const fivePongs = new Promise<void>((resolve) => (fifthPong = resolve));
      const connection = await connect(node.streamUrl, {
        pingIntervalMs: 200,
        onPong: (roundTripMs) => {
          expect(roundTripMs).toBeGreaterThanOrEqual(0);
          pongs += 1;
          if (pongs === 5) fifthPong();
        },
      });
      const iterator = connection[Symbol.asyncIterator]();
      const whilePaused = createTransaction(alice, { vin: 'WVWZZZ1JZXWPAUSED1' });
      const afterResume = createTransaction(alice, { vin: 'WVWZZZ1JZXWRESUMED' });

      node.eventStream.pause();
      await commit(node, whilePaused);
      await fivePongs;

      expect([connection.endReason, connection.received]).toEqual([undefined, 0]);
      node.eventStream.resume();
      const expected = await commit(node, afterResume);
      // The paused commit's event is never sent, so the next event is the one after resume.
      expect(expected).toEqual({ height: 2, assetId: afterResume.id, transactionId: afterResume.id });
      expect(await take(iterator, 1)).toEqual([expected]);
      expect(connection.endReason).toBeUndefined();
    });
  });

  describe('#close and the signal', () => {
    it("ends the iteration with 'closed-by-client' when close() is called during it", async () => {
      const node = await startNode();
      const connection = await connect(node.streamUrl);
      const expected = await commit(node, createTransaction(alice, { vin: 'WVWZZZ1JZXWCLOSE01' }));

      const events: StreamEvent[] = [];
      for await (const event of connection) {
        events.push(event);
        connection.close();
      }

      expect(events).toEqual([expected]);
      expect([connection.endReason, connection.received]).toEqual(['closed-by-client', 1]);
    });

    it("ends the iteration with 'closed-by-client' when the signal aborts", async () => {
      const server = await startWebSocketServer();
      const controller = new AbortController();
      const client = server.nextClient();
      const connection = await connect(server.url, { signal: controller.signal });
      const serverSide = await client;
      const closedOnServer = once(serverSide, 'close');

      controller.abort();

      expect(await drain(connection)).toEqual([]);
      expect(connection.endReason).toBe('closed-by-client');
      const [code] = (await closedOnServer) as [number];
      expect(code).toBe(1000);
    });

    it('closes the socket when a for-await loop breaks', async () => {
      const server = await startWebSocketServer();
      const client = server.nextClient();
      const connection = await connect(server.url);
      const serverSide = await client;
      const closedOnServer = once(serverSide, 'close');
      serverSide.send(frame(1, ID_A, ID_A));
      serverSide.send(frame(1, ID_A, ID_B));

      const events: StreamEvent[] = [];
      for await (const event of connection) {
        events.push(event);
        break;
      }

      // The loop's return() resolves only once the socket has closed.
      expect(events).toEqual([{ height: 1, assetId: ID_A, transactionId: ID_A }]);
      expect(connection.endReason).toBe('closed-by-client');
      const [code] = (await closedOnServer) as [number];
      expect(code).toBe(1000);
    });

    it('refuses a second consumer', async () => {
      const server = await startWebSocketServer();
      const connection = await connect(server.url);
      connection[Symbol.asyncIterator]();

      expect(() => connection[Symbol.asyncIterator]()).toThrow(
        /^an EventStreamConnection has a single consumer and is already being iterated$/,
      );
    });
  });

  describe('liveness and limits', () => {
    it("terminates with 'ping-timeout' when no pong comes within the ping interval", async () => {
      const server = await startWebSocketServer({ autoPong: false });
      const client = server.nextClient();
      const connection = await connect(server.url, { pingIntervalMs: 200 });
      const serverSide = await client;
      let pings = 0;
      serverSide.on('ping', () => (pings += 1));
      const closedOnServer = once(serverSide, 'close');

      expect(await drain(connection)).toEqual([]);

      expect([connection.endReason, connection.endError]).toEqual(['ping-timeout', undefined]);
      // terminate() sends no close frame: the server sees an abnormal closure.
      const [code] = (await closedOnServer) as [number];
      expect([pings, code]).toEqual([1, 1006]);
    });

    it("terminates with 'overflow' above maxBufferedEvents and still yields the buffered events", async () => {
      const server = await startWebSocketServer();
      const client = server.nextClient();
      const connection = await connect(server.url, { maxBufferedEvents: 3 });
      const serverSide = await client;
      const closedOnServer = once(serverSide, 'close');
      const ids = ['1', '2', '3', '4', '5'].map((digit) => digit.repeat(64));
      for (const id of ids) serverSide.send(frame(7, ID_A, id));

      // Nobody iterates until the client has cut the connection.
      await closedOnServer;

      expect(await drain(connection)).toEqual(
        ids.slice(0, 3).map((transactionId) => ({ height: 7, assetId: ID_A, transactionId })),
      );
      expect([connection.endReason, connection.received]).toEqual(['overflow', 3]);
    });

    it("ends with 'error' on a frame over 64 KiB", async () => {
      const server = await startWebSocketServer();
      const client = server.nextClient();
      const connection = await connect(server.url);
      (await client).send('x'.repeat(64 * 1024 + 1));

      expect(await drain(connection)).toEqual([]);

      expect(connection.endReason).toBe('error');
      expect(connection.endError?.message).toBe('Max payload size exceeded');
    });
  });

  describe('malformed frames', () => {
    it('skips and reports every malformed frame and delivers the valid ones around them', async () => {
      const server = await startWebSocketServer();
      const client = server.nextClient();
      const reported: [string, string][] = [];
      const connection = await connect(server.url, {
        onMalformedFrame: (text, reason) => reported.push([text, reason]),
      });
      const serverSide = await client;
      const malformed: [string, string][] = [
        ['{"height": 1, "asset_id": "', 'not JSON'],
        ['null', 'not a JSON object'],
        [`[1, "${ID_A}", "${ID_A}"]`, 'not a JSON object'],
        [
          `{"height": 1, "asset_id": "${ID_A}", "transaction_id": "${ID_B}", "block_id": 1}`,
          'unexpected key "block_id"',
        ],
        [`{"height": 1, "asset_id": "${ID_A}"}`, 'missing key "transaction_id"'],
        [frame(1, ID_A, ID_B).replace('1', '"1"'), '"height" is not an integer ≥ 0'],
        [frame(-1, ID_A, ID_B), '"height" is not an integer ≥ 0'],
        [frame(1.5, ID_A, ID_B), '"height" is not an integer ≥ 0'],
        [frame(1, ID_A.toUpperCase(), ID_B), '"asset_id" is not 64 lowercase hex digits'],
        [frame(1, ID_A, ID_B.slice(1)), '"transaction_id" is not 64 lowercase hex digits'],
        [
          `{"height": 1, "asset_id": "${ID_A}", "transaction_id": 7}`,
          '"transaction_id" is not 64 lowercase hex digits',
        ],
      ];

      serverSide.send(frame(1, ID_A, ID_A));
      for (const [text] of malformed) serverSide.send(text);
      serverSide.send(Buffer.from(frame(1, ID_A, ID_B)), { binary: true });
      serverSide.send(frame(2, ID_A, ID_C));
      serverSide.close(1001);

      expect(await drain(connection)).toEqual([
        { height: 1, assetId: ID_A, transactionId: ID_A },
        { height: 2, assetId: ID_A, transactionId: ID_C },
      ]);
      expect(reported).toEqual([...malformed, [frame(1, ID_A, ID_B), 'binary frame']]);
      expect([connection.endReason, connection.received, connection.malformed]).toEqual(['closed-by-server', 2, 12]);
    });
  });

  describe('connect failures', () => {
    it('rejects naming the URL when the connection is refused', async () => {
      const { url, server } = await startSilentServer();
      await new Promise((resolve) => server.close(resolve));

      const error = await rejection(
        connectEventStream({ url, pingIntervalMs: 200, connectTimeoutMs: 5_000, maxBufferedEvents: 10 }),
      );

      expect(connectErrorOf(error)).toEqual({
        name: 'EventStreamConnectError',
        code: 'RELAY_STREAM_CONNECT_FAILED',
        message: `cannot open the Event Stream at ${url}: connection refused`,
        url,
        failure: 'refused',
        status: undefined,
      });
    });

    it('rejects with the HTTP status when the server answers the upgrade with 404', async () => {
      const node = await startNode();
      const url = node.streamUrl.replace(STREAM_PATH, '/api/v1/streams/invalid_transactions');

      const error = await rejection(
        connectEventStream({ url, pingIntervalMs: 200, connectTimeoutMs: 5_000, maxBufferedEvents: 10 }),
      );

      expect(connectErrorOf(error)).toEqual({
        name: 'EventStreamConnectError',
        code: 'RELAY_STREAM_CONNECT_FAILED',
        message: `cannot open the Event Stream at ${url}: the server answered the upgrade with HTTP 404`,
        url,
        failure: 'http-status',
        status: 404,
      });
    });

    it('rejects after connectTimeoutMs when the server never answers the upgrade', async () => {
      const { url } = await startSilentServer();

      const error = await rejection(
        connectEventStream({ url, pingIntervalMs: 200, connectTimeoutMs: 200, maxBufferedEvents: 10 }),
      );

      expect(connectErrorOf(error)).toEqual({
        name: 'EventStreamConnectError',
        code: 'RELAY_STREAM_CONNECT_FAILED',
        message: `cannot open the Event Stream at ${url}: no WebSocket handshake within 200 ms`,
        url,
        failure: 'timeout',
        status: undefined,
      });
    });

    it("rejects with the signal's reason when it aborts during the handshake", async () => {
      const { url, server } = await startSilentServer();
      const controller = new AbortController();
      const accepted = once(server, 'connection');
      const connecting = rejection(
        connectEventStream({
          url,
          pingIntervalMs: 200,
          connectTimeoutMs: 5_000,
          maxBufferedEvents: 10,
          signal: controller.signal,
        }),
      );
      await accepted;

      controller.abort();

      expect(await connecting).toBe(controller.signal.reason);
    });

    it('rejects an invalid URL naming it', async () => {
      const url = 'not a URL';

      const error = await rejection(
        connectEventStream({ url, pingIntervalMs: 200, connectTimeoutMs: 200, maxBufferedEvents: 10 }),
      );

      expect(connectErrorOf(error)).toEqual({
        name: 'EventStreamConnectError',
        code: 'RELAY_STREAM_CONNECT_FAILED',
        message: 'cannot open the Event Stream at not a URL: Invalid URL: not a URL',
        url,
        failure: 'invalid-url',
        status: undefined,
      });
    });
  });
});
