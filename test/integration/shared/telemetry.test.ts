import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sep } from 'node:path';

import { listen } from '../../../dev/listen';
import { jsonLinesLog } from '../../../shared/json-log';
import { createTelemetry, type Telemetry, type TelemetryOptions } from '../../../shared/telemetry';
import {
  generateTestCertificate,
  type IngestionRequest,
  type IngestionServer,
  startIngestionServer,
  type TestCertificate,
} from '../../helpers/ingestion-server';

// The real SDK against an HTTPS stand-in for the ingestion endpoint on 127.0.0.1. The exporter sends over HTTPS
// only (toolchain.md §5), so the server has a self-signed certificate, which these clients trust through the
// `ingestionCa` option: nothing process-wide (NODE_TLS_REJECT_UNAUTHORIZED) is loosened, and the exporter still
// verifies the server's name and chain.

const INSTRUMENTATION_KEY = '6f1ec0de-0000-4000-8000-00000000beef';

let certificate: TestCertificate;
let ingestion: IngestionServer;
let lines: string[];
let telemetry: Telemetry | undefined;

beforeAll(async () => {
  certificate = await generateTestCertificate();
});

beforeEach(async () => {
  ingestion = await startIngestionServer({ certificate });
  lines = [];
});

afterEach(async () => {
  await telemetry?.shutdown();
  telemetry = undefined;
  await ingestion.close();
});

const connectionStringFor = (server: IngestionServer): string =>
  `InstrumentationKey=${INSTRUMENTATION_KEY};IngestionEndpoint=${server.url}`;

/** Telemetry for `server` (default: the test's ingestion server) that trusts its certificate and logs to `lines`. */
function start(options: Partial<TelemetryOptions> = {}, server = ingestion): Telemetry {
  telemetry = createTelemetry({
    connectionString: connectionStringFor(server),
    cloudRole: 'relay-worker',
    cloudRoleInstance: 'relay-a',
    ingestionCa: certificate.cert,
    log: jsonLinesLog((line) => lines.push(line), 'debug'),
    ...options,
  });
  return telemetry;
}

/** The envelopes of `request`, which must be a POST of a JSON array to `/v2.1/track`. */
function envelopesOf(request: IngestionRequest): Record<string, unknown>[] {
  expect([request.method, request.url]).toEqual(['POST', '/v2.1/track']);
  return JSON.parse(request.body) as Record<string, unknown>[];
}

const carries = (type: string) => (request: IngestionRequest) =>
  request.body.includes(`"Microsoft.ApplicationInsights.${type}"`);

const expectNoSecretLogged = (): void => {
  for (const line of lines) {
    expect(line).not.toContain(INSTRUMENTATION_KEY);
    expect(line).not.toContain('InstrumentationKey=');
  }
};

describe('with a connection string', () => {
  test('loads the SDK only now, and on flush posts trackEvent("X", {a: 1}) to /v2.1/track under the cloud role', async () => {
    const sdkLoaded = (): boolean =>
      Object.keys(require.cache).some((path) => path.includes(`${sep}node_modules${sep}applicationinsights${sep}`));
    expect(sdkLoaded()).toBe(false);
    const telemetry = start();
    expect(sdkLoaded()).toBe(true);

    const received = ingestion.waitForRequest(carries('Event'));
    telemetry.trackEvent('X', { a: 1 });
    await telemetry.flush();

    expect(envelopesOf(await received)).toEqual([
      expect.objectContaining({
        name: 'Microsoft.ApplicationInsights.Event',
        iKey: INSTRUMENTATION_KEY,
        tags: expect.objectContaining({ 'ai.cloud.role': 'relay-worker', 'ai.cloud.roleInstance': 'relay-a' }),
        data: { baseType: 'EventData', baseData: { ver: 2, name: 'X', properties: { a: '1' }, measurements: {} } },
      }),
    ]);
    expect(lines).toEqual([]);
  });

  test('posts metrics as aggregates with their properties, and exceptions with message and type', async () => {
    const telemetry = start();
    const metrics = ingestion.waitForRequest(carries('Metric'));
    const exceptions = ingestion.waitForRequest(carries('Exception'));
    telemetry.trackMetric('RelaySendMs', 3, { source: 'stream' });
    telemetry.trackMetric('RelaySendMs', 5, { source: 'stream' });
    telemetry.trackException(new RangeError('boom'), { operation: 'checkpoint' });
    await telemetry.flush();

    expect(envelopesOf(await metrics)).toEqual([
      expect.objectContaining({
        data: {
          baseType: 'MetricData',
          baseData: {
            ver: 2,
            metrics: [{ name: 'RelaySendMs', kind: 'Aggregation', value: 8, count: 2, min: 3, max: 5 }],
            properties: { source: 'stream' },
          },
        },
      }),
    ]);
    expect(envelopesOf(await exceptions)).toEqual([
      expect.objectContaining({
        data: {
          baseType: 'ExceptionData',
          baseData: expect.objectContaining({
            exceptions: [expect.objectContaining({ typeName: 'RangeError', message: 'boom', hasFullStack: true })],
            properties: { operation: 'checkpoint' },
          }),
        },
      }),
    ]);
  });

  test('shutdown sends what is buffered, resolves without waiting for a bound, leaves no timer holding the process, and is idempotent', async () => {
    const timers = (): number => process.getActiveResourcesInfo().filter((resource) => resource === 'Timeout').length;
    const before = timers();
    const telemetry = start({ timeoutMs: 20_000 });
    const received = ingestion.waitForRequest(carries('Event'));
    telemetry.trackEvent('RelayReconnect', { reason: 'ended', failures: 0 });

    const started = performance.now();
    const shutdown = telemetry.shutdown();
    await shutdown;
    const elapsedMs = performance.now() - started;

    await received;
    expect(elapsedMs).toBeLessThan(5_000);
    expect(timers()).toBeLessThanOrEqual(before);
    expect(telemetry.shutdown()).toBe(shutdown);
    expect(() => telemetry.trackEvent('after shutdown')).not.toThrow();
    await expect(telemetry.flush()).resolves.toBeUndefined();
    expect(lines).toEqual([]);
  });

  test('flush and shutdown resolve after their bound when the endpoint never answers', async () => {
    const silent = await startIngestionServer({ certificate, answer: 'hold' });
    try {
      const telemetry = start({ timeoutMs: 300 }, silent);
      const held = silent.waitForRequest(carries('Event'));
      telemetry.trackEvent('X');

      await telemetry.flush();
      await held;
      await telemetry.shutdown();
    } finally {
      await silent.close();
    }
  });

  test('an export failure is logged once, without the connection string, and the calls still return', async () => {
    // Not trusting the server's certificate makes every export fail.
    const telemetry = start({ ingestionCa: undefined });
    telemetry.trackEvent('X', { a: 1 });
    telemetry.trackMetric('M', 1);
    telemetry.trackException(new Error('boom'));
    await telemetry.flush();
    await telemetry.shutdown();

    expect(lines.map((line) => JSON.parse(line) as Record<string, unknown>)).toEqual([
      {
        time: expect.any(String),
        level: 'warn',
        msg: 'telemetry failed; further telemetry failures are not logged',
        error: expect.stringMatching(/self-signed certificate/),
      },
    ]);
    expectNoSecretLogged();
    expect(ingestion.requests).toEqual([]);
  });

  test('a connection string the SDK rejects turns into one logged failure, never a throw', async () => {
    const telemetry = start({ connectionString: `InstrumentationKey=not-a-key;IngestionEndpoint=${ingestion.url}` });
    expect(() => {
      telemetry.trackEvent('X', { a: 1 });
      telemetry.trackMetric('M', 1);
      telemetry.trackException(new Error('boom'));
    }).not.toThrow();
    await telemetry.shutdown();

    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/"msg":"telemetry failed; further telemetry failures are not logged"/);
    expect(lines[0]).not.toContain('not-a-key');
  });
});

describe('with an authentication string', () => {
  let identity: Server;
  const identityRequests: { url: string; header: string | undefined }[] = [];
  const saved = { endpoint: process.env['IDENTITY_ENDPOINT'], header: process.env['IDENTITY_HEADER'] };

  // App Service's managed identity endpoint, which ManagedIdentityCredential finds through these two variables.
  beforeEach(async () => {
    identity = createServer((request, response) => {
      identityRequests.push({
        url: request.url ?? '',
        header: request.headers['x-identity-header'] as string | undefined,
      });
      const expiresOn = String(Math.floor(Date.now() / 1_000) + 3_600);
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(
        JSON.stringify({
          access_token: 'token-of-the-identity',
          expires_on: expiresOn,
          resource: 'https://monitor.azure.com',
          token_type: 'Bearer',
        }),
      );
    });
    await listen(identity, '127.0.0.1', 0);
    process.env['IDENTITY_ENDPOINT'] = `http://127.0.0.1:${(identity.address() as AddressInfo).port}/msi/token`;
    process.env['IDENTITY_HEADER'] = 'identity-header';
  });

  afterEach(async () => {
    for (const [name, value] of [
      ['IDENTITY_ENDPOINT', saved.endpoint],
      ['IDENTITY_HEADER', saved.header],
    ] as const) {
      // eslint-disable-next-line @typescript-eslint/no-dynamic-delete -- unsetting an environment variable takes delete (assigning undefined stores "undefined")
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    identity.closeAllConnections();
    await new Promise((resolve) => identity.close(resolve));
  });

  test('exports with a bearer token of the managed identity that ClientId names', async () => {
    const clientId = '5e1f0c1a-0000-4000-8000-000000000001';
    const telemetry = start({ authenticationString: `ClientId=${clientId};Authorization=AAD` });
    const received = ingestion.waitForRequest(carries('Event'));
    telemetry.trackEvent('X');
    await telemetry.flush();

    expect((await received).headers.authorization).toBe('Bearer token-of-the-identity');
    expect(identityRequests).toEqual([{ url: expect.stringMatching(/^\/msi\/token\?/), header: 'identity-header' }]);
    const query = new URL(identityRequests[0]?.url ?? '', 'http://identity').searchParams;
    expect([query.get('client_id'), query.get('resource')]).toEqual([clientId, 'https://monitor.azure.com']);
  });
});
