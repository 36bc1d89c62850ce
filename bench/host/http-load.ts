import { once } from 'node:events';
import { Agent, createServer, request, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What one load run measured. */
export interface LoadResult {
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** CPU time of this whole process (client, server, host) during the run, in seconds. */
  readonly cpuSeconds: number;
}

/** A bare `node:http` server that answers every request with `body()` as JSON: the ceiling for the host. */
export function startBareServer(body: () => unknown): Promise<{ url: string; close: () => Promise<void> }> {
  return serveOnLoopback((_request, response) => {
    const json = JSON.stringify(body());
    response.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(json) });
    response.end(json);
  });
}

/** Serves `listener` on 127.0.0.1 at a free port. */
export async function serveOnLoopback(listener: RequestListener): Promise<{ url: string; close: () => Promise<void> }> {
  const server: Server = createServer(listener);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

/**
 * GETs `url` `requests` times with `concurrency` requests in flight over keep-alive connections. The client is
 * kept cheap (one options object, body discarded) because it shares this process's one thread with the server.
 */
export async function driveLoad(url: string, requests: number, concurrency: number): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const { hostname, port, pathname } = new URL(url);
  const options = { hostname, port, path: pathname, agent };
  const latencies = new Float64Array(requests);
  let next = 0;
  const cpu = process.cpuUsage();
  const started = performance.now();
  try {
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < requests) {
          const index = next++;
          latencies[index] = await get(options);
        }
      }),
    );
  } finally {
    agent.destroy();
  }
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  latencies.sort();
  return {
    requestsPerSecond: Math.round(requests / seconds),
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    cpuSeconds: round((used.user + used.system) / 1e6),
  };
}

function get(options: { hostname: string; port: string; path: string; agent: Agent }): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const req = request(options, (res) => {
      res.resume();
      res.once('end', () =>
        res.statusCode === 200
          ? resolve(performance.now() - started)
          : reject(new Error(`HTTP ${String(res.statusCode)}`)),
      );
    });
    req.once('error', reject);
    req.end();
  });
}

function percentile(sorted: Float64Array, p: number): number {
  return round(sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0);
}

/** Two decimals, for figures in the JSON output. */
export function round(value: number): number {
  return Number(value.toFixed(2));
}
