import { type IncomingHttpHeaders, type OutgoingHttpHeaders, request as httpRequest } from 'node:http';

import { HttpRequest, type HttpRequestInit } from '@azure/functions';

import {
  type FunctionKeys,
  type HttpFunctionRoute,
  type HttpTriggerServer,
  type HttpTriggerServerOptions,
  startHttpTriggerServer,
} from '../../../dev/functions-host/http-trigger-server';
import { RouteTemplateError } from '../../../dev/functions-host/route-template';
import type { RpcHttpData, RpcTypedData } from '../../../dev/functions-host/rpc-types';

type LogEntry = Parameters<HttpTriggerServerOptions['log']>[0];
type Reply = (request: RpcHttpData) => RpcTypedData | null | undefined | Promise<RpcTypedData | null | undefined>;

/** A route whose `invoke` records what it received and answers with `reply` (by default 200 naming the function). */
interface TestRoute extends HttpFunctionRoute {
  readonly received: RpcHttpData[];
}

function fn(
  functionName: string,
  options: Partial<Omit<HttpFunctionRoute, 'invoke'>> & { reply?: Reply } = {},
): TestRoute {
  const received: RpcHttpData[] = [];
  const reply: Reply =
    options.reply ??
    (() => ({
      http: {
        statusCode: '200',
        headers: { 'content-type': 'text/plain' },
        body: { bytes: Buffer.from(functionName) },
      },
    }));
  return {
    functionName,
    route: options.route ?? functionName,
    methods: options.methods ?? ['GET', 'POST'],
    authLevel: options.authLevel ?? 'anonymous',
    received,
    invoke: async (request) => {
      received.push(request);
      return reply(request);
    },
  };
}

let server: HttpTriggerServer | undefined;
let logs: LogEntry[] = [];

async function start(
  routes: readonly HttpFunctionRoute[],
  options: Partial<HttpTriggerServerOptions> = {},
): Promise<string> {
  server = await startHttpTriggerServer({
    host: '127.0.0.1',
    port: 0,
    routePrefix: 'api',
    routes,
    maxRequestBodyBytes: 1024,
    log: (entry) => logs.push(entry),
    ...options,
  });
  return server.url;
}

afterEach(async () => {
  await server?.close();
  server = undefined;
  logs = [];
});

/** A request through `node:http`, for what `fetch` cannot send: repeated headers, a forged Host, a chunked body. */
function rawRequest(
  url: string,
  options: { method?: string; headers?: OutgoingHttpHeaders; chunks?: Buffer[] },
): Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: options.method ?? 'GET', headers: options.headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    for (const chunk of options.chunks ?? []) req.write(chunk);
    req.end();
  });
}

function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve: (value: T) => void = () => undefined;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

async function expectEmpty(response: Response, status: number): Promise<void> {
  expect(response.status).toBe(status);
  expect(await response.text()).toBe('');
}

describe('startHttpTriggerServer', () => {
  it('listens on a free port of the given host and reports its base URL', async () => {
    const url = await start([fn('hello')]);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(logs[0]).toEqual({ level: 'info', msg: `HTTP trigger server listening on ${url}`, url, functions: 1 });
  });

  it('rejects an invalid route template before listening, naming the template', async () => {
    await expect(start([fn('bad', { route: 'items/{id:integer}' })])).rejects.toThrow(
      new RouteTemplateError('api/items/{id:integer}', "unknown constraint 'integer'"),
    );
  });

  describe('the request handed to the function', () => {
    it('carries method, full URL, lower-cased headers, the query and the route params', async () => {
      const item = fn('item', { route: 'items/{id:int}/{part?}' });
      const url = await start([item]);
      const response = await fetch(`${url}/api/Items/42/wheel?tag=a&Tag=b&empty=&code=x%20y`, {
        headers: { 'X-Custom': 'Value' },
      });
      expect(response.status).toBe(200);
      expect(await response.text()).toBe('item');
      expect(item.received).toHaveLength(1);
      const received = item.received[0];
      expect(received).toStrictEqual({
        method: 'GET',
        url: `${url}/api/Items/42/wheel?tag=a&Tag=b&empty=&code=x%20y`,
        headers: expect.objectContaining({ host: url.slice('http://'.length), 'x-custom': 'Value' }),
        query: { tag: 'a,b', empty: '', code: 'x y' },
        params: { id: '42', part: 'wheel' },
      });
      expect(Object.keys(received?.headers ?? {}).every((name) => name === name.toLowerCase())).toBe(true);
    });

    it('leaves out an optional parameter without a value, and the body of a request without one', async () => {
      const item = fn('item', { route: 'items/{id?}' });
      const url = await start([item]);
      expect((await fetch(`${url}/api/items`, { method: 'POST' })).status).toBe(200);
      expect(item.received[0]?.params).toEqual({});
      expect(item.received[0]).not.toHaveProperty('body');
    });

    it('joins repeated headers with a comma, as the host does', async () => {
      const echo = fn('echo');
      const url = await start([echo]);
      const response = await rawRequest(`${url}/api/echo`, { headers: { 'x-multi': ['one', 'two'] } });
      expect(response.status).toBe(200);
      expect(echo.received[0]?.headers?.['x-multi']).toBe('one,two');
    });

    it('hands a JSON body over as bytes, which the library reads back with json(), text() and arrayBuffer()', async () => {
      const create = fn('create', { route: 'items' });
      const url = await start([create]);
      const json = JSON.stringify({ name: 'Zoë', tags: ['a'] });
      await fetch(`${url}/api/items?x=1`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: json,
      });
      const received = create.received[0] ?? {};
      expect(received.body).toEqual({ bytes: Buffer.from(json) });
      const read = (): HttpRequest => new HttpRequest(received as HttpRequestInit);
      expect(await read().json()).toEqual({ name: 'Zoë', tags: ['a'] });
      expect(await read().text()).toBe(json);
      expect(Buffer.from(await read().arrayBuffer())).toEqual(Buffer.from(json));
      expect(read().headers.get('content-type')).toBe('application/json');
      expect(read().query.get('x')).toBe('1');
    });

    it("hands text as { string } and octet-stream or multipart as { bytes } with requestBody 'by-content-type'", async () => {
      const sink = fn('sink', { methods: ['POST'] });
      const url = await start([sink], { requestBody: 'by-content-type' });
      const post = (type: string, body: string): Promise<Response> =>
        fetch(`${url}/api/sink`, { method: 'POST', headers: { 'content-type': type }, body });
      await post('application/json; charset=utf-8', '{"a":1}');
      await post('text/plain', 'héllo');
      await post('Application/Octet-Stream', 'raw');
      await post('multipart/form-data; boundary=x', '--x--');
      expect(sink.received.map(({ body }) => body)).toEqual([
        { string: '{"a":1}' },
        { string: 'héllo' },
        { bytes: Buffer.from('raw') },
        { bytes: Buffer.from('--x--') },
      ]);
      const text = new HttpRequest(sink.received[0] as HttpRequestInit);
      expect(await text.json()).toEqual({ a: 1 });
    });

    it('round-trips a binary body byte for byte', async () => {
      const bytes = Buffer.alloc(1000);
      for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7919) % 256;
      const echo = fn('echo', {
        methods: ['PUT'],
        reply: (request) => ({
          http: {
            statusCode: '200',
            headers: { 'content-type': 'application/octet-stream' },
            body: { bytes: request.body?.bytes ?? null },
          },
        }),
      });
      const url = await start([echo]);
      const response = await fetch(`${url}/api/echo`, {
        method: 'PUT',
        headers: { 'content-type': 'application/octet-stream' },
        body: bytes,
      });
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('application/octet-stream');
      expect(Buffer.from(await response.arrayBuffer()).equals(bytes)).toBe(true);
      expect(Buffer.from(echo.received[0]?.body?.bytes ?? []).equals(bytes)).toBe(true);
    });
  });

  describe('routing', () => {
    it('answers 404 with an empty body for paths no route matches, outside the prefix included', async () => {
      const hello = fn('hello');
      const url = await start([hello]);
      await expectEmpty(await fetch(`${url}/api/nothing`), 404);
      await expectEmpty(await fetch(`${url}/hello`), 404);
      await expectEmpty(await fetch(`${url}/api`), 404);
      await expectEmpty(await fetch(`${url}/`), 404);
      expect(hello.received).toEqual([]);
    });

    it('uses the function name as the route, matched ignoring case', async () => {
      const url = await start([fn('Hello')]);
      expect(await (await fetch(`${url}/api/hello`)).text()).toBe('Hello');
    });

    it('answers 405 with Allow when the path matches but the method does not, HEAD included', async () => {
      const read = fn('read', { route: 'items/{id}', methods: ['GET'] });
      const write = fn('write', { route: 'items/{id}', methods: ['PUT', 'DELETE'] });
      const url = await start([read, write]);
      const response = await fetch(`${url}/api/items/1`, { method: 'POST' });
      await expectEmpty(response, 405);
      expect(response.headers.get('allow')).toBe('GET, PUT, DELETE, OPTIONS');
      expect((await fetch(`${url}/api/items/1`, { method: 'HEAD' })).status).toBe(405);
      expect([read.received, write.received]).toEqual([[], []]);
    });

    it('answers OPTIONS itself with 204 and Allow unless a function takes OPTIONS', async () => {
      const read = fn('read', { route: 'items', methods: ['GET'] });
      const preflight = fn('preflight', { route: 'cors', methods: ['OPTIONS'] });
      const url = await start([read, preflight]);
      const options = await fetch(`${url}/api/items`, { method: 'OPTIONS' });
      await expectEmpty(options, 204);
      expect(options.headers.get('allow')).toBe('GET, OPTIONS');
      expect(read.received).toEqual([]);
      expect(await (await fetch(`${url}/api/cors`, { method: 'OPTIONS' })).text()).toBe('preflight');
    });

    it('invokes a function that takes HEAD, and sends no body back', async () => {
      const head = fn('head', { methods: ['HEAD'] });
      const url = await start([head]);
      const response = await fetch(`${url}/api/head`, { method: 'HEAD' });
      expect(response.status).toBe(200);
      expect(response.headers.get('content-length')).toBe('4');
      expect(await response.text()).toBe('');
      expect(head.received.map(({ method }) => method)).toEqual(['HEAD']);
    });

    it('allows every method when a route lists none', async () => {
      const any = fn('any', { methods: [] });
      const url = await start([any]);
      expect((await fetch(`${url}/api/any`, { method: 'PATCH' })).status).toBe(200);
    });

    it('prefers literal segments, then constrained parameters, then parameters, then catch-alls', async () => {
      const url = await start([
        fn('rest', { route: 'items/{*rest}' }),
        fn('byName', { route: 'items/{name}' }),
        fn('byId', { route: 'items/{id:int}' }),
        fn('newItem', { route: 'items/new' }),
      ]);
      const who = async (path: string): Promise<string> => (await fetch(`${url}/api/${path}`)).text();
      expect(await Promise.all(['items/new', 'items/7', 'items/seven', 'items/a/b', 'items'].map(who))).toEqual([
        'newItem',
        'byId',
        'byName',
        'rest',
        'rest',
      ]);
    });

    it('passes over a more specific route whose methods do not fit', async () => {
      const url = await start([
        fn('anyGet', { route: 'items/{id}', methods: ['GET'] }),
        fn('intPost', { route: 'items/{id:int}', methods: ['POST'] }),
      ]);
      expect(await (await fetch(`${url}/api/items/5`)).text()).toBe('anyGet');
      expect(await (await fetch(`${url}/api/items/5`, { method: 'POST' })).text()).toBe('intPost');
    });

    it("serves routes at the root with routePrefix ''", async () => {
      const url = await start([fn('item', { route: 'items/{id}' })], { routePrefix: '' });
      expect(await (await fetch(`${url}/items/1`)).text()).toBe('item');
      expect((await fetch(`${url}/api/items/1`)).status).toBe(404);
    });

    it('serves routes under a custom prefix, slashes around it ignored', async () => {
      const url = await start([fn('item', { route: 'items/{id}' })], { routePrefix: '/v1/fn/' });
      expect(await (await fetch(`${url}/v1/fn/items/1`)).text()).toBe('item');
      expect((await fetch(`${url}/api/items/1`)).status).toBe(404);
    });

    it('answers 400 to a Host header that is not a host', async () => {
      const hello = fn('hello');
      const url = await start([hello]);
      const response = await rawRequest(`${url}/api/hello`, { headers: { host: 'evil.example/x' } });
      expect(response.status).toBe(400);
      expect(hello.received).toEqual([]);
    });
  });

  describe('keys', () => {
    const keys: FunctionKeys = {
      master: 'master-key',
      host: { default: 'host-key' },
      functions: { orders: { default: 'orders-key' }, users: { default: 'users-key', ci: 'users-ci-key' } },
    };
    const routes = (): TestRoute[] => [
      fn('orders', { authLevel: 'function' }),
      fn('users', { authLevel: 'function' }),
      fn('admin', { route: 'manage', authLevel: 'admin' }),
      fn('open'),
    ];

    it('answers 401 with an empty body when the key is missing or wrong', async () => {
      const [orders] = routes();
      const url = await start([orders as TestRoute], { keys });
      await expectEmpty(await fetch(`${url}/api/orders`), 401);
      await expectEmpty(await fetch(`${url}/api/orders?code=nope`), 401);
      await expectEmpty(await fetch(`${url}/api/orders`, { headers: { 'x-functions-key': 'nope' } }), 401);
      expect(orders?.received).toEqual([]);
    });

    it('takes the key from x-functions-key or from code, and the header first', async () => {
      const url = await start(routes(), { keys });
      expect((await fetch(`${url}/api/orders`, { headers: { 'x-functions-key': 'orders-key' } })).status).toBe(200);
      expect((await fetch(`${url}/api/orders?code=orders-key`)).status).toBe(200);
      expect((await fetch(`${url}/api/orders?CODE=orders-key`)).status).toBe(200);
      expect(
        (await fetch(`${url}/api/orders?code=orders-key`, { headers: { 'x-functions-key': 'nope' } })).status,
      ).toBe(401);
    });

    it('opens a function-level route with any host key, any of its keys or the master key, not with another function key', async () => {
      const url = await start(routes(), { keys });
      const status = async (path: string, key: string): Promise<number> =>
        (await fetch(`${url}/api/${path}?code=${key}`)).status;
      expect(await status('orders', 'host-key')).toBe(200);
      expect(await status('users', 'users-ci-key')).toBe(200);
      expect(await status('users', 'master-key')).toBe(200);
      expect(await status('orders', 'users-key')).toBe(401);
    });

    it('opens an admin route with the master key only', async () => {
      const url = await start(routes(), { keys });
      const status = async (key: string): Promise<number> =>
        (await fetch(`${url}/api/manage`, { headers: { 'x-functions-key': key } })).status;
      expect(await Promise.all(['host-key', 'orders-key', 'master-key'].map(status))).toEqual([401, 401, 200]);
    });

    it('never asks for a key on anonymous routes', async () => {
      const url = await start(routes(), { keys });
      expect((await fetch(`${url}/api/open`)).status).toBe(200);
    });

    it('enforces no key when no keys are configured', async () => {
      const url = await start(routes());
      expect(
        await Promise.all(['orders', 'manage'].map(async (path) => (await fetch(`${url}/api/${path}`)).status)),
      ).toEqual([200, 200]);
    });

    it('keeps keys out of the log', async () => {
      const url = await start(routes(), { keys });
      await fetch(`${url}/api/orders?code=orders-key`);
      await fetch(`${url}/api/manage?code=orders-key`);
      expect(JSON.stringify(logs)).not.toContain('orders-key');
      expect(logs.slice(1).map(({ msg }) => msg)).toEqual(['HTTP GET /api/orders 200', 'HTTP GET /api/manage 401']);
    });
  });

  describe('request body limit', () => {
    it('answers 413 without invoking when Content-Length is over the limit, and accepts the limit itself', async () => {
      const sink = fn('sink');
      const url = await start([sink]);
      await expectEmpty(await fetch(`${url}/api/sink`, { method: 'POST', body: Buffer.alloc(1025) }), 413);
      expect(sink.received).toEqual([]);
      expect((await fetch(`${url}/api/sink`, { method: 'POST', body: Buffer.alloc(1024) })).status).toBe(200);
      expect(sink.received[0]?.body?.bytes?.length).toBe(1024);
    });

    it('answers 413 to a chunked body once it passes the limit', async () => {
      const sink = fn('sink');
      const url = await start([sink]);
      const response = await rawRequest(`${url}/api/sink`, {
        method: 'POST',
        chunks: [Buffer.alloc(600), Buffer.alloc(600)],
      });
      expect(response.status).toBe(413);
      expect(response.headers['connection']).toBe('close');
      expect(sink.received).toEqual([]);
    });
  });

  describe('the response', () => {
    it('writes the status, headers and body the function returned', async () => {
      const url = await start([
        fn('created', {
          reply: () => ({
            http: {
              statusCode: '201',
              headers: { 'content-type': 'application/json', 'X-Request-Id': 'r-1', 'content-length': '999' },
              body: { bytes: Buffer.from('{"a":1}') },
            },
          }),
        }),
      ]);
      const response = await fetch(`${url}/api/created`);
      expect(response.status).toBe(201);
      expect(response.headers.get('content-type')).toBe('application/json');
      expect(response.headers.get('x-request-id')).toBe('r-1');
      expect(response.headers.get('content-length')).toBe('7');
      expect(await response.json()).toEqual({ a: 1 });
    });

    it('writes every cookie field as ASP.NET does', async () => {
      const expires = Date.UTC(2026, 0, 1) / 1000;
      const url = await start([
        fn('cookies', {
          reply: () => ({
            http: {
              statusCode: '200',
              headers: {},
              cookies: [
                { name: 'plain', value: '1', sameSite: 'none' },
                {
                  name: 'full',
                  value: "x y;z,é!'",
                  domain: { value: 'example.com' },
                  path: { value: '/p' },
                  expires: { value: { seconds: expires } },
                  secure: { value: true },
                  httpOnly: { value: true },
                  sameSite: 'strict',
                  maxAge: { value: 3600.9 },
                },
                {
                  name: 'none',
                  value: '',
                  sameSite: 'explicitNone',
                  secure: { value: false },
                  httpOnly: { value: false },
                },
                { name: 'lax', value: 'v', sameSite: 'lax', path: { value: '/x' } },
              ],
              body: { bytes: new Uint8Array(0) },
            },
          }),
        }),
      ]);
      const response = await fetch(`${url}/api/cookies`);
      expect(response.headers.getSetCookie()).toEqual([
        'plain=1; path=/',
        'full=x%20y%3Bz%2C%C3%A9%21%27; expires=Thu, 01 Jan 2026 00:00:00 GMT; max-age=3600; domain=example.com; path=/p; secure; samesite=strict; httponly',
        'none=; path=/; samesite=none',
        'lax=v; path=/x; samesite=lax',
      ]);
    });

    it('defaults the status to 200 and labels a string body as text', async () => {
      const url = await start([fn('text', { reply: () => ({ http: { body: { string: 'héllo' } } }) })]);
      const response = await fetch(`${url}/api/text`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('text/plain; charset=utf-8');
      expect(await response.text()).toBe('héllo');
    });

    it('answers 204 with no body when the function returned no HTTP response', async () => {
      const url = await start([
        fn('nothing', { reply: () => undefined }),
        fn('nonHttp', { reply: () => ({ string: 'x' }) }),
      ]);
      await expectEmpty(await fetch(`${url}/api/nothing`), 204);
      await expectEmpty(await fetch(`${url}/api/nonHttp`), 204);
    });

    it('answers 500, logged, to a response that cannot be sent', async () => {
      const url = await start([
        fn('badStatus', { reply: () => ({ http: { statusCode: 'abc' } }) }),
        fn('badHeader', { reply: () => ({ http: { headers: { 'x-bad': 'a\nb' } } }) }),
        fn('badCookie', { reply: () => ({ http: { cookies: [{ name: 'a b', value: '1' }] } }) }),
      ]);
      for (const name of ['badStatus', 'badHeader', 'badCookie'])
        await expectEmpty(await fetch(`${url}/api/${name}`), 500);
      expect(logs.filter(({ level }) => level === 'error').map(({ msg }) => msg)).toEqual([
        "Function 'badStatus' returned an HTTP response the host cannot send: statusCode 'abc' is not a status from 200 to 599",
        "Function 'badHeader' returned an HTTP response the host cannot send: header 'x-bad' has a character not allowed in a header value",
        "Function 'badCookie' returned an HTTP response the host cannot send: cookie name 'a b' is not an HTTP token",
      ]);
    });

    it('answers 500 with an empty body when the function fails, logs it, and goes on serving', async () => {
      let calls = 0;
      const flaky = fn('flaky', {
        reply: () => {
          calls++;
          if (calls === 1) throw new Error('boom');
          return { http: { statusCode: '200', body: { string: 'ok' } } };
        },
      });
      const url = await start([flaky]);
      await expectEmpty(await fetch(`${url}/api/flaky`), 500);
      expect(logs).toContainEqual(
        expect.objectContaining({ level: 'error', msg: "Function 'flaky' failed: boom", functionName: 'flaky' }),
      );
      expect(await (await fetch(`${url}/api/flaky`)).text()).toBe('ok');
    });
  });

  describe('concurrency and shutdown', () => {
    it('handles requests concurrently', async () => {
      const second = deferred();
      const url = await start([
        fn('first', { reply: async () => (await second.promise, { http: { body: { string: 'first' } } }) }),
        fn('second', {
          reply: () => {
            second.resolve();
            return { http: { body: { string: 'second' } } };
          },
        }),
      ]);
      // `first` can only finish once `second` has run, so this resolves only if both are in flight at once.
      const texts = await Promise.all(
        [fetch(`${url}/api/first`), fetch(`${url}/api/second`)].map(async (r) => (await r).text()),
      );
      expect(texts).toEqual(['first', 'second']);
    });

    it('finishes the requests in flight when closed', async () => {
      const invoked = deferred();
      const release = deferred();
      const url = await start([
        fn('slow', {
          reply: async () => {
            invoked.resolve();
            await release.promise;
            return { http: { body: { string: 'done' } } };
          },
        }),
      ]);
      const pending = fetch(`${url}/api/slow`);
      await invoked.promise;
      const closed = server?.close();
      server = undefined;
      release.resolve();
      const response = await pending;
      expect(response.headers.get('connection')).toBe('close');
      expect(await response.text()).toBe('done');
      await closed;
      await expect(fetch(`${url}/api/slow`)).rejects.toThrow();
    });
  });
});
