import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import { ensureError } from '../../shared/errors';
import { readBody } from '../http-body';
import { listen } from '../listen';
import { writeEmpty, writeHttpResponse, type WrittenResponse } from './http-response-writer';
import { compareRoutePrecedence, parseRouteTemplate, type RouteTemplate } from './route-template';
import type { RpcHttpData, RpcTypedData } from './rpc-types';

/** One HTTP-triggered function as the server routes to it. */
export interface HttpFunctionRoute {
  readonly functionName: string;
  /** The route template without the prefix; the function name when the app gave none. */
  readonly route: string;
  /** Upper-case methods (the library defaults to GET, POST); an empty list allows every method, as in the host. */
  readonly methods: readonly string[];
  readonly authLevel: 'anonymous' | 'function' | 'admin';
  /**
   * Invokes the function with the request as the host hands it to the worker; resolves with the worker's return
   * value (RpcTypedData whose `http` is the response), or rejects when the function failed.
   */
  readonly invoke: (request: RpcHttpData) => Promise<RpcTypedData | null | undefined>;
}

/** The keys that open `function` and `admin` routes (spec §3). */
export interface FunctionKeys {
  /** The master key (`_master`): opens every route, and is the only key that opens `admin` ones. */
  readonly master?: string;
  /** Host keys by name: each opens every `function` route. */
  readonly host: Readonly<Record<string, string>>;
  /** Function name → key name → key: each opens that function's route only. */
  readonly functions: Readonly<Record<string, Readonly<Record<string, string>>>>;
}

/** The host's `maxRequestBodySize`: 100 MiB (104,857,600 bytes), the HTTP trigger doc's request length limit. */
export const DEFAULT_MAX_REQUEST_BODY_BYTES = 104_857_600;

/** How request bodies are handed to the worker. */
export type RequestBodyData = 'bytes' | 'by-content-type';

/** Settings of {@link startHttpTriggerServer}. */
export interface HttpTriggerServerOptions {
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  /** host.json `extensions.http.routePrefix`: `'api'` by default, `''` for none. */
  readonly routePrefix: string;
  readonly routes: readonly HttpFunctionRoute[];
  /** Omitted, keys are not enforced (as `func start`); given, `function` and `admin` routes need a key. */
  readonly keys?: FunctionKeys;
  /** Larger bodies get 413. Default {@link DEFAULT_MAX_REQUEST_BODY_BYTES}. */
  readonly maxRequestBodyBytes?: number;
  /**
   * `'bytes'` (default): every body as `{ bytes }`, what the host sends a worker with the `RawHttpBodyBytes`
   * capability, which the Node worker declares. `'by-content-type'`: `{ bytes }` for `application/octet-stream`
   * and `multipart/*`, `{ string }` (UTF-8) otherwise, what it sends workers without that capability.
   */
  readonly requestBody?: RequestBodyData;
  readonly log: (entry: { level: 'info' | 'warn' | 'error'; msg: string } & Record<string, unknown>) => void;
}

/** A running server. */
export interface HttpTriggerServer {
  /** The base URL, e.g. `http://127.0.0.1:7071`. */
  readonly url: string;
  /** Stops accepting connections and resolves once the requests in flight have been answered. */
  close(): Promise<void>;
}

interface CompiledRoute {
  readonly route: HttpFunctionRoute;
  readonly template: RouteTemplate;
  readonly methods: ReadonlySet<string>;
}

interface Context {
  readonly options: HttpTriggerServerOptions;
  readonly routes: readonly CompiledRoute[];
  readonly maxBodyBytes: number;
  /** `host:port` for URLs of requests without a Host header. */
  readonly authority: string;
  closing: boolean;
}

/**
 * Serves the HTTP-triggered functions under `/<routePrefix>/` as the Functions host does: routes in ASP.NET
 * inbound precedence order (literal segments before constrained parameters before parameters before
 * catch-alls, registration order on ties), keys checked per `authLevel`, the request converted to the
 * worker's `RpcHttpData`, and the returned `http` data written back. Requests are handled concurrently.
 *
 * Unlike the host, a path that matches a route but not its methods gets 405 with `Allow` (the host answers
 * 404); OPTIONS on such a route gets 204 with `Allow`; HEAD is a method like any other.
 *
 * @throws RouteTemplateError (rejects) when a route template is invalid; listen errors such as `EADDRINUSE`.
 */
export async function startHttpTriggerServer(options: HttpTriggerServerOptions): Promise<HttpTriggerServer> {
  const prefix = options.routePrefix.replace(/^\/+|\/+$/g, '');
  const routes = options.routes
    .map((route): CompiledRoute => {
      const own = route.route.replace(/^\/+/, '');
      const template = parseRouteTemplate(prefix === '' ? own : own === '' ? prefix : `${prefix}/${own}`);
      return { route, template, methods: new Set(route.methods.map((method) => method.toUpperCase())) };
    })
    .sort((a, b) => compareRoutePrecedence(a.template, b.template)); // stable: ties keep registration order
  const server = createServer();
  await listen(server, options.host, options.port);
  const { port } = server.address() as AddressInfo;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  const context: Context = {
    options,
    routes,
    maxBodyBytes: options.maxRequestBodyBytes ?? DEFAULT_MAX_REQUEST_BODY_BYTES,
    authority: `${host}:${port}`,
    closing: false,
  };
  server.on('request', (request: IncomingMessage, response: ServerResponse) => void handle(context, request, response));
  const url = `http://${context.authority}`;
  options.log({ level: 'info', msg: `HTTP trigger server listening on ${url}`, url, functions: routes.length });
  return {
    url,
    close: () =>
      new Promise<void>((resolve, reject) => {
        context.closing = true;
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeIdleConnections();
      }),
  };
}

async function handle(context: Context, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const started = performance.now();
  const method = request.method ?? 'GET';
  let outcome: Outcome = { status: 500 };
  try {
    outcome = await respond(context, request, response, method);
  } catch (thrown) {
    const error = ensureError(thrown);
    if (request.destroyed || response.destroyed) {
      context.options.log({ level: 'warn', msg: `HTTP ${method} abandoned: ${error.message}`, method });
      return;
    }
    context.options.log({
      level: 'error',
      msg: `HTTP ${method} failed in the host: ${error.message}`,
      method,
      error: error.stack ?? error.message,
    });
    if (response.headersSent) response.destroy();
    else writeEmpty(context, response, 500);
  }
  // The path only: the query may carry a key (`?code=`), an absolute-form target credentials.
  const target = request.url ?? '';
  const path = target.startsWith('/') ? target.split('?')[0] : '(not a path)';
  const durationMs = Math.round(performance.now() - started);
  context.options.log({
    level: 'info',
    msg: `HTTP ${method} ${String(path)} ${outcome.status}`,
    method,
    path,
    durationMs,
    ...outcome,
  });
}

interface Outcome extends WrittenResponse {
  readonly functionName?: string;
}

async function respond(
  context: Context,
  request: IncomingMessage,
  response: ServerResponse,
  method: string,
): Promise<Outcome> {
  const url = requestUrl(request, context.authority);
  if (!url) return writeEmpty(context, response, 400);
  const matches = context.routes.flatMap((compiled) => {
    const params = compiled.template.match(url.pathname);
    return params ? [{ ...compiled, params }] : [];
  });
  if (matches.length === 0) return writeEmpty(context, response, 404);
  const chosen = matches.find(({ methods }) => methods.size === 0 || methods.has(method));
  if (!chosen) {
    const allow = [...new Set([...matches.flatMap(({ methods }) => [...methods]), 'OPTIONS'])].join(', ');
    return writeEmpty(context, response, method === 'OPTIONS' ? 204 : 405, { allow });
  }
  const functionName = chosen.route.functionName;
  if (!isAuthorized(context.options.keys, chosen.route, request, url))
    return { ...writeEmpty(context, response, 401), functionName };
  const body = hasNoBody(request) ? EMPTY_BODY : await readBody(request, context.maxBodyBytes);
  if (!body) return { ...writeEmpty(context, response, 413, { connection: 'close' }), functionName };
  const rpcRequest = toRpcHttpRequest(request, url, chosen.params, body, context.options.requestBody ?? 'bytes');
  return invokeRoute(context, response, chosen.route, rpcRequest);
}

/** Runs the route's function and writes its response; a function that throws gets an empty 500. */
async function invokeRoute(
  context: Context,
  response: ServerResponse,
  route: HttpFunctionRoute,
  rpcRequest: RpcHttpData,
): Promise<Outcome> {
  const { functionName } = route;
  let returned: RpcTypedData | null | undefined;
  try {
    returned = await route.invoke(rpcRequest);
  } catch (thrown) {
    // The host hides the failure from the caller: 500 with an empty body.
    const error = ensureError(thrown);
    context.options.log({
      level: 'error',
      msg: `Function '${functionName}' failed: ${error.message}`,
      functionName,
      error: error.stack ?? error.message,
    });
    return { ...writeEmpty(context, response, 500), functionName };
  }
  return { ...writeHttpResponse(context, response, returned?.http ?? undefined, functionName), functionName };
}

const EMPTY_BODY = Buffer.alloc(0);

/**
 * Whether the request has no body by its framing alone: neither `Transfer-Encoding` nor a non-zero
 * `Content-Length` (RFC 9112 §6.3). Such requests, most GETs, skip {@link readBody}'s promise, listeners and
 * stream round trip: about 6 µs of the trigger server's ~27 µs per request (bench/host, HTTP phase).
 */
function hasNoBody(request: IncomingMessage): boolean {
  const { 'content-length': length, 'transfer-encoding': coding } = request.headers;
  return coding === undefined && (length === undefined || length === '0');
}

/** The request's absolute URL from its Host header (as the host builds `RpcHttp.url`), or undefined if malformed. */
function requestUrl(request: IncomingMessage, authority: string): URL | undefined {
  const target = request.url ?? '/';
  const host = request.headers.host ?? authority;
  // Origin-form targets only (not `*` nor absolute-form), and a Host that cannot spill into the path.
  if (!target.startsWith('/') || !/^[\w.~!$&'()*+,;=%:[\]-]+$/.test(host)) return undefined;
  try {
    return new URL(`http://${host}${target}`);
  } catch {
    return undefined;
  }
}

function isAuthorized(
  keys: FunctionKeys | undefined,
  route: HttpFunctionRoute,
  request: IncomingMessage,
  url: URL,
): boolean {
  if (!keys || route.authLevel === 'anonymous') return true;
  const key = presentedKey(request, url);
  if (key === undefined || key === '') return false;
  if (keys.master !== undefined && sameKey(key, keys.master)) return true;
  if (route.authLevel === 'admin') return false;
  const candidates = [...Object.values(keys.host), ...Object.values(keys.functions[route.functionName] ?? {})];
  return candidates.some((candidate) => sameKey(key, candidate));
}

/** The key the caller gave: the host reads the header first and only then `code` (a query name, so any case). */
function presentedKey(request: IncomingMessage, url: URL): string | undefined {
  const header = request.headersDistinct['x-functions-key']?.[0];
  return header ?? [...url.searchParams].find(([name]) => name.toLowerCase() === 'code')?.[1];
}

/** Compares digests so that neither the contents nor the length of a key leaks through timing. */
function sameKey(given: string, expected: string): boolean {
  const digest = (text: string): Buffer => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

/**
 * The request as `GrpcMessageConversionExtensions.ToRpcHttp` hands it to the Node worker: headers lower-cased
 * and repeated ones joined with `,` (`StringValues.ToString()`), query names merged ignoring case with their
 * values joined the same way, empty values kept (the worker asks for nullable maps), and a body only when
 * there is one. The plain `headers`/`query`/`params` maps stand in for the `nullable*` ones: the library
 * reads both the same way (`fromNullableMapping`).
 */
function toRpcHttpRequest(
  request: IncomingMessage,
  url: URL,
  params: Record<string, string>,
  body: Buffer,
  mode: RequestBodyData,
): RpcHttpData {
  const headers: Record<string, string> = {};
  for (const [name, values] of Object.entries(request.headersDistinct)) {
    if (values) headers[name] = values.join(',');
  }
  const query = new Map<string, { name: string; values: string[] }>();
  for (const [name, value] of url.searchParams) {
    const entry = query.get(name.toLowerCase());
    if (entry) entry.values.push(value);
    else query.set(name.toLowerCase(), { name, values: [value] });
  }
  const http: RpcHttpData = {
    method: request.method ?? 'GET',
    url: url.href,
    headers,
    query: Object.fromEntries([...query.values()].map(({ name, values }) => [name, values.join(',')])),
    params,
  };
  if (body.length > 0)
    http.body =
      mode === 'bytes' || isOctetOrMultipart(headers['content-type'])
        ? { bytes: body }
        : { string: body.toString('utf8') };
  return http;
}

function isOctetOrMultipart(contentType: string | undefined): boolean {
  const mediaType = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  return mediaType === 'application/octet-stream' || mediaType.includes('multipart/');
}
