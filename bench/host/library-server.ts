import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

import { loadApp, type LoadedApp } from '../../dev/functions-host/app-loader';
import type { RegisteredFunction } from '../../dev/functions-host/core-api';
import type { RpcHttpData } from '../../dev/functions-host/rpc-types';
import { serveOnLoopback } from './http-load';

/**
 * A diagnostic reference, not a target: a bare `node:http` server that hands each request straight to the
 * function through `@azure/functions`' own programming model (`getInvocationModel`, `getArguments`,
 * `invokeFunction`, `getResponse`: what the worker runs for every invocation) with none of the host's
 * routing, keys, hooks, logging or output bindings. Its gap to the bare server is the library's cost;
 * its gap to the host is the host's own.
 *
 * @throws Error (rejects) when the app has no HTTP function named `functionName`.
 */
export async function startLibraryServer(
  appRoot: string,
  functionName: string,
): Promise<{ url: string; close: () => Promise<void> }> {
  const app = loadApp(appRoot);
  const fn = app.registrations.functions.find(({ metadata }) => metadata.name === functionName);
  const trigger = Object.entries(fn?.metadata.bindings ?? {}).find(
    ([, binding]) => binding.type === 'httpTrigger',
  )?.[0];
  if (!fn || !trigger) throw new Error(`${appRoot} has no HTTP function '${functionName}'`);
  return serveOnLoopback((request, response) => {
    invoke(app, fn, trigger, request, response).catch((error: unknown) => {
      response.destroy(error instanceof Error ? error : new Error(String(error)));
    });
  });
}

async function invoke(
  app: LoadedApp,
  fn: RegisteredFunction,
  trigger: string,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const invocationId = randomUUID();
  const http = rpcHttpRequest(request);
  const model = await app.programmingModel.getInvocationModel({
    invocationId,
    request: {
      invocationId,
      functionId: fn.metadata.name,
      inputData: [{ name: trigger, data: { http } }],
      triggerMetadata: {},
    },
    metadata: fn.metadata,
    log: () => undefined,
  });
  const { context, inputs } = await model.getArguments();
  const result = await model.invokeFunction(context, inputs, fn.callback);
  writeResponse(response, (await model.getResponse(context, result)).returnValue?.http);
}

/** The incoming request as the worker's RPC data (single-valued headers only). */
function rpcHttpRequest(request: IncomingMessage): RpcHttpData {
  const http: RpcHttpData = {
    method: request.method ?? 'GET',
    url: `http://${request.headers.host ?? 'localhost'}${request.url ?? '/'}`,
    headers: {},
    query: {},
    params: {},
  };
  for (const [name, value] of Object.entries(request.headers))
    if (typeof value === 'string') (http.headers as Record<string, string>)[name] = value;
  return http;
}

function writeResponse(response: ServerResponse, returned: RpcHttpData | null | undefined): void {
  const bytes = returned?.body?.bytes ?? new Uint8Array(0);
  response.writeHead(Number(returned?.statusCode ?? 200), { ...returned?.headers, 'content-length': bytes.byteLength });
  response.end(bytes);
}
