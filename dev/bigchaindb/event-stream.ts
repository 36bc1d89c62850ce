import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { type WebSocket, WebSocketServer } from 'ws';

import { listen } from '../listen';
import type { CommittedTransaction } from './block-producer';

/** The one path a node's Event Stream API serves (spec §7). */
export const STREAM_PATH = '/api/v1/streams/valid_transactions';

/** Options of {@link startEventStream}. */
export interface EventStreamOptions {
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  /**
   * A subscriber with more than this many bytes unsent is disconnected. A real node instead stalls
   * every subscriber behind the slow one (spec §7); dropping the slow one keeps the others live.
   */
  readonly maxBufferedBytes: number;
  readonly onSlowSubscriber?: (bufferedBytes: number) => void;
}

/** A running Event Stream server. */
export interface EventStream {
  /** The port it listens on. */
  readonly port: number;
  /** Subscribers connected now. */
  readonly subscriberCount: number;
  /** Sends one frame per transaction to every subscriber, unless paused. */
  publish(transactions: readonly CommittedTransaction[]): void;
  /**
   * For tests: stops delivering events without closing any socket, so that subscribers see a stream
   * that is silently dead. Events committed while paused are never sent, as on a real node.
   */
  pause(): void;
  resume(): void;
  close(): Promise<void>;
}

/** Starts the Event Stream API: WebSocket upgrades on {@link STREAM_PATH}, aiohttp-like errors elsewhere. */
export async function startEventStream(options: EventStreamOptions): Promise<EventStream> {
  const sockets = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: 4 * 1024 * 1024 });
  const server = createServer((request, response) => {
    const onStreamPath = new URL(request.url ?? '/', 'http://node').pathname === STREAM_PATH;
    response.writeHead(onStreamPath ? 400 : 404, { 'Content-Type': 'text/plain; charset=utf-8' });
    response.end(
      onStreamPath ? 'No WebSocket UPGRADE hdr: None\n Can "Upgrade" only to "WebSocket".' : '404: Not Found',
    );
  });
  server.on('upgrade', (request, socket, head) => {
    if (new URL(request.url ?? '/', 'http://node').pathname !== STREAM_PATH) {
      socket.end(
        'HTTP/1.1 404 Not Found\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 14\r\n\r\n404: Not Found',
      );
      return;
    }
    sockets.handleUpgrade(request, socket, head, (client) => sockets.emit('connection', client, request));
  });
  // Subscribers' messages are read and ignored, as on a real node.
  sockets.on('connection', (client: WebSocket) => client.on('error', () => client.terminate()));
  await listen(server, options.host, options.port);

  let paused = false;
  return {
    port: (server.address() as AddressInfo).port,
    get subscriberCount() {
      return sockets.clients.size;
    },
    publish(transactions) {
      if (paused || sockets.clients.size === 0) return;
      const frames = transactions.map(
        ({ height, assetId, transactionId }) =>
          `{"height": ${height}, "asset_id": "${assetId}", "transaction_id": "${transactionId}"}`,
      );
      for (const client of sockets.clients) {
        if (client.bufferedAmount > options.maxBufferedBytes) {
          options.onSlowSubscriber?.(client.bufferedAmount);
          client.terminate();
          continue;
        }
        for (const frame of frames) client.send(frame);
      }
    },
    pause: () => (paused = true),
    resume: () => (paused = false),
    close: () => close(server, sockets),
  };
}

async function close(server: Server, sockets: WebSocketServer): Promise<void> {
  for (const client of sockets.clients) client.terminate();
  await new Promise<void>((resolve) => sockets.close(() => resolve()));
  await new Promise<void>((resolve) => server.close(() => resolve()));
}
