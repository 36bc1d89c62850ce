import { type HttpHandler, HttpRequest, HttpResponse, InvocationContext } from '@azure/functions';

import { type LocalStorage, startLocalStorage } from '../../dev/azurite/local-storage';
import type { DevNode } from '../../dev/bigchaindb/dev-node';
import { provisionStorage } from '../../dev/provision-storage';
import { createServices, type Services } from '../../functions/services';
import { type FunctionsSettings, parseFunctionsSettings } from '../../shared/settings';
import { generateKeyPair, type KeyPair } from '../../shared/transaction/signing';
import { startTestNode } from './dev-node';

/** The Functions app's dependencies, real and running: a dev node and Azurite with the storage layout created. */
export interface AppFixture {
  readonly node: DevNode;
  readonly storage: LocalStorage;
  /** The app settings the services were built from, as local.settings.json `Values` would hold them. */
  readonly appSettings: Readonly<Record<string, string>>;
  readonly settings: FunctionsSettings;
  readonly services: Services;
  readonly company: KeyPair;
  close(): Promise<void>;
}

/** The webhook secret of every fixture. */
export const TEST_WEBHOOK_SECRET = 'test-webhook-secret-of-at-least-32-characters';

/** Starts a dev node and Azurite on 127.0.0.1, ports chosen by the system, and builds the app's services on them. */
export async function startAppFixture(): Promise<AppFixture> {
  const [node, storage] = await Promise.all([startTestNode(), startLocalStorage()]);
  const company = generateKeyPair();
  const appSettings = {
    AzureWebJobsStorage: storage.connectionString,
    BIGCHAINDB_URL: node.url,
    LEASING_COMPANY_PRIVATE_KEY: company.privateKey,
    LEDGER_WEBHOOK_SECRET: TEST_WEBHOOK_SECRET,
  };
  const settings = parseFunctionsSettings(appSettings);
  await provisionStorage(settings.storage, settings.checkpointContainer);
  const services = createServices(settings);
  return {
    node,
    storage,
    appSettings,
    settings,
    services,
    company,
    close: async () => {
      await services.telemetry.shutdown();
      await Promise.all([node.close(), storage.close()]);
    },
  };
}

/** A request as a test writes it: a JSON-able `body` is sent as JSON, a string as it is. */
export interface TestRequest {
  readonly method?: string;
  readonly url?: string;
  readonly params?: Record<string, string>;
  readonly headers?: Record<string, string>;
  readonly body?: unknown;
}

/** What a client would see of a handler's response. */
export interface TestResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly body: unknown;
}

/** Calls an HTTP handler in process, as the Functions library would, and reads its response like a client. */
export async function callHttp(
  handler: HttpHandler,
  request: TestRequest,
  functionName = 'test',
): Promise<TestResponse> {
  const text =
    request.body === undefined
      ? undefined
      : typeof request.body === 'string'
        ? request.body
        : JSON.stringify(request.body);
  const headers = { ...(text === undefined ? {} : { 'content-type': 'application/json' }), ...request.headers };
  const httpRequest = new HttpRequest({
    method: request.method ?? 'POST',
    url: request.url ?? 'http://127.0.0.1/api/test',
    headers,
    params: request.params ?? {},
    ...(text === undefined ? {} : { body: { string: text } }),
  });
  const context = new InvocationContext({
    functionName,
    invocationId: `test-${Math.random().toString(16).slice(2)}`,
    logHandler: () => undefined,
  });
  const response = new HttpResponse(await handler(httpRequest, context));
  const responseText = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    body: responseText === '' ? undefined : (JSON.parse(responseText) as unknown),
  };
}
