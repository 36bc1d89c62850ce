import { type IncomingMessage, type ServerResponse, STATUS_CODES } from 'node:http';

import type { JsonValue } from '../../shared/transaction/json-value';
import { pythonJson } from '../../shared/transaction/python-json';

/**
 * Responses shaped like BigchainDB's Flask stack (spec §1): upper-case reason phrases, the two JSON
 * serializers, the four error-body shapes, Werkzeug's HTML 404, and flask-cors headers.
 */

/** A response ready to send. */
export interface NodeResponse {
  readonly status: number;
  readonly body: string;
  readonly contentType?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

/** A resource's body through flask-restful's `output_json`: insertion order, `", "`/`": "`. */
export function resourceBody(body: JsonValue, status = 200): NodeResponse {
  return { status, body: `${pythonJson(body, { sortKeys: false, spaced: true })}\n` };
}

/** A body through Flask's `jsonify`: sorted keys, compact. */
export function jsonifyBody(body: JsonValue, status = 200): NodeResponse {
  return { status, body: `${pythonJson(body, { sortKeys: true, spaced: false })}\n` };
}

/** BigchainDB's `make_error`: `{"message": ..., "status": ...}`. */
export function makeError(status: number, message: string): NodeResponse {
  return jsonifyBody({ message, status }, status);
}

/** A flask-restful reqparse argument error: `{"message": {"<argument>": "<message>"}}`. */
export function argumentError(argument: string, message: string): NodeResponse {
  return resourceBody({ message: { [argument]: message } }, 400);
}

/** A flask-restful error with a plain message (strict-mode unknown arguments, 405, 500). */
export function messageError(status: number, message: string, headers?: Record<string, string>): NodeResponse {
  return { ...resourceBody({ message }, status), headers };
}

/** Missing required argument, exactly as flask-restful 0.3.8 words it. */
export const MISSING_ARGUMENT = 'Missing required parameter in the JSON body or the post body or the query string';

/** Werkzeug's HTML page for a URL that matches no route. */
export const HTML_NOT_FOUND: NodeResponse = {
  status: 404,
  contentType: 'text/html; charset=utf-8',
  body:
    '<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 3.2 Final//EN">\n<title>404 Not Found</title>\n<h1>Not Found</h1>\n' +
    '<p>The requested URL was not found on the server. If you entered the URL manually please check your spelling and try again.</p>\n',
};

const CORS_METHODS = 'DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT';

/** flask-cors 3.0.8 defaults: any origin (echoed when given), any method and requested header. */
export function corsHeaders(request: IncomingMessage): Record<string, string> {
  const origin = request.headers.origin;
  const headers: Record<string, string> = origin
    ? { 'Access-Control-Allow-Origin': origin, Vary: 'Origin' }
    : { 'Access-Control-Allow-Origin': '*' };
  if (request.method === 'OPTIONS' && request.headers['access-control-request-method']) {
    headers['Access-Control-Allow-Methods'] = CORS_METHODS;
    const requested = request.headers['access-control-request-headers'];
    if (requested) {
      headers['Access-Control-Allow-Headers'] = requested
        .split(',')
        .map((name) => name.trim())
        .filter(Boolean)
        .sort()
        .join(', ');
    }
  }
  return headers;
}

// Werkzeug 1.0 words these differently from Node.
const WERKZEUG_REASONS: Readonly<Record<number, string>> = { 413: 'Request Entity Too Large' };

/** Writes a response with Werkzeug's upper-case reason phrase (the JS driver shows it to users). */
export function send(request: IncomingMessage, response: ServerResponse, reply: NodeResponse): void {
  const body = request.method === 'HEAD' ? '' : reply.body;
  response.writeHead(
    reply.status,
    (WERKZEUG_REASONS[reply.status] ?? STATUS_CODES[reply.status] ?? 'UNKNOWN').toUpperCase(),
    {
      'Content-Type': reply.contentType ?? 'application/json',
      'Content-Length': Buffer.byteLength(reply.body),
      ...corsHeaders(request),
      ...reply.headers,
    },
  );
  response.end(body);
}
