import { EventEmitter, once } from 'node:events';
import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

import { generate } from 'selfsigned';

import { listen } from '../../dev/listen';

/** A certificate for `localhost` and 127.0.0.1, self-signed: trust `cert` to reach a server that uses it. */
export interface TestCertificate {
  readonly cert: string;
  readonly key: string;
}

/** Generates a {@link TestCertificate} (RSA 2048, SHA-256; about half a second). */
export async function generateTestCertificate(): Promise<TestCertificate> {
  const pems = await generate([{ name: 'commonName', value: 'localhost' }], { keySize: 2048, algorithm: 'sha256' });
  return { cert: pems.cert, key: pems.private };
}

/** One request the server received, its body decompressed. */
export interface IngestionRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** Options of {@link startIngestionServer}. */
export interface IngestionServerOptions {
  readonly certificate: TestCertificate;
  /**
   * `accept` (default) answers each request as Application Insights does when it takes everything; `hold` answers
   * only on {@link IngestionServer.close} (so that the client has nothing left to retry).
   */
  readonly answer?: 'accept' | 'hold';
}

/** An HTTPS stand-in for the Application Insights ingestion endpoint on 127.0.0.1. */
export interface IngestionServer {
  /** For the connection string's `IngestionEndpoint`. */
  readonly url: string;
  /** Every request so far, in order of arrival. */
  readonly requests: readonly IngestionRequest[];
  /** Resolves with the first request from index `from` on (default 0) that satisfies `where`, at once if one arrived. */
  waitForRequest(where: (request: IngestionRequest) => boolean, from?: number): Promise<IngestionRequest>;
  /** Answers the held requests, then closes every connection and the server. */
  close(): Promise<void>;
}

/** Starts an {@link IngestionServer} on 127.0.0.1 with a free port. */
export async function startIngestionServer(options: IngestionServerOptions): Promise<IngestionServer> {
  const arrivals = new EventEmitter();
  const requests: IngestionRequest[] = [];
  const held: { response: ServerResponse; items: number }[] = [];
  const accept = (response: ServerResponse, items: number): void =>
    void response
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ itemsReceived: items, itemsAccepted: items, errors: [] }));
  const server = createServer({ cert: options.certificate.cert, key: options.certificate.key }, (request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const raw = Buffer.concat(chunks);
      const body = (request.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw).toString('utf8');
      requests.push({ method: request.method ?? '', url: request.url ?? '', headers: request.headers, body });
      arrivals.emit('request');
      const items = (JSON.parse(body) as unknown[]).length;
      if (options.answer === 'hold') held.push({ response, items });
      else accept(response, items);
    });
  });
  await listen(server, '127.0.0.1', 0);

  const find = (where: (request: IngestionRequest) => boolean, from: number): IngestionRequest | undefined =>
    requests.slice(from).find(where);
  return {
    url: `https://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    requests,
    waitForRequest: (where, from = 0) =>
      new Promise((resolve) => {
        const check = (): void => {
          const found = find(where, from);
          if (!found) return;
          arrivals.off('request', check);
          resolve(found);
        };
        arrivals.on('request', check);
        check();
      }),
    async close() {
      await Promise.all(
        held.splice(0).map(({ response, items }) => {
          accept(response, items);
          return once(response, 'finish');
        }),
      );
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
