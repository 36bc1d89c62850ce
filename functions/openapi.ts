import type { HttpFunctionOptions, HttpHandler, HttpResponseInit } from '@azure/functions';

import { buildOpenApiDocument } from './openapi-document';

/** `GET /api/openapi.json`, anonymous: the API's description is not a secret. */
export const openApiOptions = {
  methods: ['GET'],
  route: 'openapi.json',
  authLevel: 'anonymous',
} as const satisfies Omit<HttpFunctionOptions, 'handler'>;

/** Serves the OpenAPI document, built once. */
export function openApi(): HttpHandler {
  const document = buildOpenApiDocument();
  return function openApi(): HttpResponseInit {
    return { status: 200, jsonBody: document };
  };
}
