import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

import { WebSocket, WebSocketServer } from 'ws';

import { listen } from '../../dev/listen';

/** A frame the proxy sends to its subscribers: text, or binary when `binary` is true. */
export interface ProxyFrame {
  readonly data: string;
  readonly binary?: boolean;
}

/**
 * A WebSocket proxy in front of an Event Stream, for tests that need a stream that misbehaves: every frame from
 * upstream goes through {@link StreamProxy.rewrite}, and {@link StreamProxy.inject} sends frames of its own.
 */
export interface StreamProxy {
  /** The URL subscribers connect to (any path). */
  readonly url: string;
  /** What each upstream frame becomes; the default forwards it unchanged. An empty array drops it. */
  rewrite: (frame: string) => ProxyFrame[];
  /** Sends `frame` to every subscriber now. */
  inject(frame: ProxyFrame): void;
  /** Closes every connection, both sides, and the server. */
  close(): Promise<void>;
}

/**
 * Starts a proxy of `upstreamUrl` on 127.0.0.1 with a free port. A subscriber's upgrade is answered only once the
 * proxy's own connection upstream is open, so that a subscriber that is connected misses nothing upstream sends.
 */
export async function startStreamProxy(upstreamUrl: string): Promise<StreamProxy> {
  const server = createServer((_request, response) => response.writeHead(404).end());
  const sockets = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  const upstreams = new Set<WebSocket>();
  server.on('upgrade', (request, socket, head) => {
    const upstream = new WebSocket(upstreamUrl, { perMessageDeflate: false });
    upstreams.add(upstream);
    upstream.once('close', () => upstreams.delete(upstream));
    upstream.on('error', () => socket.destroy());
    upstream.once('open', () => {
      sockets.handleUpgrade(request, socket, head, (client) => {
        // With ws's default binaryType ('nodebuffer') a message arrives as one Buffer.
        upstream.on('message', (data) => {
          for (const frame of proxy.rewrite((data as Buffer).toString()))
            client.send(frame.data, { binary: frame.binary === true });
        });
        upstream.once('close', () => client.terminate());
        client.once('close', () => upstream.terminate());
        client.on('error', () => client.terminate());
      });
    });
  });
  await listen(server, '127.0.0.1', 0);

  const proxy: StreamProxy = {
    url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/streams/valid_transactions`,
    rewrite: (frame) => [{ data: frame }],
    inject(frame) {
      for (const client of sockets.clients) client.send(frame.data, { binary: frame.binary === true });
    },
    async close() {
      for (const upstream of upstreams) upstream.terminate();
      for (const client of sockets.clients) client.terminate();
      server.closeAllConnections();
      await new Promise<void>((resolve) => sockets.close(() => resolve()));
      if (server.listening) {
        server.close();
        await once(server, 'close');
      }
    },
  };
  return proxy;
}
