import type { IncomingMessage, RequestListener } from 'node:http';

import { ensureError } from '../../shared/errors';
import { readBody } from '../http-body';
import { HTML_NOT_FOUND, makeError, messageError, type NodeResponse, send } from './http-responses';
import { ArgumentRejectedError } from './query-arguments';
import * as read from './read-endpoints';
import { postTransaction, type SubmitContext } from './submit-endpoint';

/** What the HTTP API needs of the node. */
export interface HttpApiContext extends read.ReadContext, SubmitContext {
  /** Largest request body accepted, in bytes. */
  readonly maxBodyBytes: number;
}

interface ApiRequest {
  readonly query: URLSearchParams;
  /** The path segment a route captured (a transaction id or a block height). */
  readonly segment: string;
  readonly body: Buffer;
}

type Handler = (context: HttpApiContext, request: ApiRequest) => NodeResponse | Promise<NodeResponse>;

interface Route {
  readonly path: RegExp;
  readonly get?: Handler;
  readonly post?: Handler;
}

// Flask routes of bigchaindb/web/routes.py, all with strict_slashes=False (spec §1.1).
const ROUTES: readonly Route[] = [
  { path: /^$/, get: (c) => read.rootInfo(c) },
  { path: /^\/api\/v1$/, get: (c) => read.apiV1Info(c) },
  {
    path: /^\/api\/v1\/transactions$/,
    get: (c, r) => read.listTransactions(c, r.query),
    post: (c, r) => postTransaction(c, r.query, r.body),
  },
  { path: /^\/api\/v1\/transactions\/([^/]+)$/, get: (c, r) => read.getTransaction(c, r.segment) },
  { path: /^\/api\/v1\/outputs$/, get: (c, r) => read.listOutputs(c, r.query) },
  { path: /^\/api\/v1\/assets$/, get: (c, r) => read.searchText(c, r.query, 'assets') },
  { path: /^\/api\/v1\/metadata$/, get: (c, r) => read.searchText(c, r.query, 'metadata') },
  { path: /^\/api\/v1\/blocks$/, get: (c, r) => read.listBlocks(c, r.query) },
  // Werkzeug's int converter: decimal digits only, so `-1` or `latest` match no route.
  { path: /^\/api\/v1\/blocks\/(\d+)$/, get: (c, r) => read.getBlock(c, Number(r.segment)) },
  { path: /^\/api\/v1\/validators$/, get: (c) => read.listValidators(c) },
];

const METHOD_NOT_ALLOWED = 'The method is not allowed for the requested URL.';

/** The node's HTTP API v1 as a `node:http` request listener. */
export function createHttpApi(context: HttpApiContext): RequestListener {
  return (request, response) => {
    respond(context, request)
      .catch((thrown: unknown) => {
        context.onInternalError(ensureError(thrown));
        return messageError(500, 'Internal Server Error');
      })
      .then((reply) => send(request, response, reply), context.onInternalError);
  };
}

async function respond(context: HttpApiContext, request: IncomingMessage): Promise<NodeResponse> {
  const url = new URL(request.url ?? '/', 'http://node');
  const match = matchRoute(routePath(url.pathname));
  if (!match) return HTML_NOT_FOUND;
  const { route, segment } = match;
  const allow = ['GET', 'HEAD', 'OPTIONS', ...(route.post ? ['POST'] : [])].join(', ');
  const handler = handlerFor(route, request.method);
  if (request.method === 'OPTIONS')
    return { status: 200, body: '', contentType: 'text/html; charset=utf-8', headers: { Allow: allow } };
  if (!handler) return messageError(405, METHOD_NOT_ALLOWED, { Allow: allow });

  const body = request.method === 'POST' ? await readBody(request, context.maxBodyBytes) : Buffer.alloc(0);
  if (!body) {
    return {
      ...makeError(413, `Request body too large: the limit is ${context.maxBodyBytes} bytes`),
      headers: { Connection: 'close' },
    };
  }
  try {
    return await handler(context, { query: url.searchParams, segment, body });
  } catch (error) {
    if (error instanceof ArgumentRejectedError) return error.response;
    throw error;
  }
}

/** The route's handler of `method`: POST's, or GET's (which answers HEAD too). */
function handlerFor(route: Route, method: string | undefined): Handler | undefined {
  if (method === 'POST') return route.post;
  return method === 'GET' || method === 'HEAD' ? route.get : undefined;
}

function matchRoute(path: string): { route: Route; segment: string } | undefined {
  for (const route of ROUTES) {
    const match = route.path.exec(path);
    if (match) return { route, segment: match[1] ?? '' };
  }
  return undefined;
}

/** The decoded path without a trailing slash (the routes have strict_slashes=False). */
function routePath(rawPath: string): string {
  const pathname = decodePath(rawPath);
  return pathname.endsWith('/') ? pathname.slice(0, -1) : pathname;
}

/** Werkzeug matches routes on the decoded path; a malformed escape is kept as it is. */
function decodePath(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}
