import { resolve } from 'node:path';

import { createQueueServiceClient } from '../../shared/storage-clients';
import { resolveStorageConnection } from '../../shared/storage-connection';
import { loadApp, type LoadedApp } from './app-loader';
import { type RegisteredFunction, setSystemLog } from './core-api';
import { type HostJson, readHostJson, readLocalSettings } from './host-config';
import type { HostLog } from './host-log';
import {
  type FunctionKeys,
  type HttpFunctionRoute,
  type HttpTriggerServer,
  startHttpTriggerServer,
} from './http-trigger-server';
import { type AppHookData, invokeFunction } from './invoker';
import {
  type OutputBindingContext,
  SUPPORTED_OUTPUT_TYPES,
  UnsupportedBindingError,
  writeOutputs,
} from './output-bindings';
import { poisonQueueFor, type QueueListener, startQueueListener } from './queue-listener';
import type { RpcInvocationResponse, RpcTypedData } from './rpc-types';
import { parseTimerSchedule, startTimerTrigger, type TimerTrigger } from './timer-trigger';
import { enabledFunctions, toTriggerMetadata, type TriggerBinding, triggerOf } from './triggers';

/** Options of {@link startHost}. */
export interface HostOptions {
  /** Folder with the app's host.json and package.json. */
  readonly appRoot: string;
  /** Entry file(s), a path or glob relative to `appRoot`, instead of package.json `main`. */
  readonly main?: string;
  /** Interface for HTTP triggers. Default `127.0.0.1`. */
  readonly host?: string;
  /** HTTP port; 0 picks a free one. Default 7071, as `func start`. */
  readonly port?: number;
  /** `Development` (as `func start`: 2 s default polling) or `Production`. */
  readonly environment?: 'Development' | 'Production';
  /**
   * Function keys to enforce on `function` and `admin` routes. Omitted, they come from the settings
   * `FUNCTIONS_MASTER_KEY` and `FUNCTIONS_HOST_KEY` (host key `default`); with neither set, keys
   * are not checked, as under `func start`.
   */
  readonly keys?: FunctionKeys;
  /** App settings that override the environment and local.settings.json (tests point storage at their Azurite). */
  readonly settings?: Readonly<Record<string, string>>;
  /** How long shutdown waits for running invocations. Default 30 s. */
  readonly shutdownGraceMs?: number;
  readonly log?: HostLog;
}

/** A function as the host runs it, for the start-up summary. */
export interface HostedFunction {
  readonly name: string;
  readonly trigger: string;
  /** For HTTP triggers: methods and URL. */
  readonly url?: string;
  readonly methods?: readonly string[];
}

/** A running local host. */
export interface RunningHost {
  /** Base URL of HTTP triggers, e.g. `http://127.0.0.1:7071`. */
  readonly url: string;
  readonly functions: readonly HostedFunction[];
  /** Stops triggers, waits for running invocations, runs appTerminate hooks, restores the environment. */
  close(): Promise<void>;
}

/**
 * Runs a v4 Node.js function app as `func start` would: local.settings.json into the environment,
 * host.json's settings, the app loaded through `@azure/functions-core`, appStart hooks, then HTTP,
 * queue and timer triggers with the real host's semantics, and output bindings written after
 * each invocation.
 */
export async function startHost(options: HostOptions): Promise<RunningHost> {
  const appRoot = resolve(options.appRoot);
  const log = options.log ?? ((): void => undefined);
  const restoreEnvironment = applySettings(readLocalSettings(appRoot), options.settings ?? {}, log);
  try {
    return await startApp(appRoot, options, log, restoreEnvironment);
  } catch (error) {
    restoreEnvironment();
    throw error;
  }
}

/** The host log's level for a level of the library's system log. */
function hostLogLevel(level: string): 'error' | 'warn' | 'info' {
  if (level === 'error') return 'error';
  return level === 'warning' ? 'warn' : 'info';
}

/** Throws for an app that asks for what the local host does not do (HTTP streams). */
async function assertSupported(app: LoadedApp): Promise<void> {
  const capabilities = (await app.programmingModel.getCapabilities?.({})) ?? {};
  if (capabilities['HttpUri'])
    throw new Error('app.setup({ enableHttpStream: true }) is not supported by the local host');
}

/** Runs the app's appStart hooks. App-level hooks share one hookData (appStart to appTerminate), as in the worker. */
async function runAppStartHooks(app: LoadedApp, appRoot: string, appHookData: AppHookData): Promise<void> {
  for (const hook of app.registrations.hooks.appStart)
    await hook({ functionAppDirectory: appRoot, hookData: appHookData, appHookData });
}

async function startApp(
  appRoot: string,
  options: HostOptions,
  log: HostLog,
  restoreEnvironment: () => void,
): Promise<RunningHost> {
  const hostJson = readHostJson(appRoot, options.environment ?? 'Development', process.env);
  setSystemLog((level, category, message) => log({ level: hostLogLevel(level), msg: message, category }));
  const app = loadApp(appRoot, options.main);
  await assertSupported(app);
  const appHookData: AppHookData = {};
  await runAppStartHooks(app, appRoot, appHookData);

  const settings = currentSettings();
  const functions = enabledFunctions(app, settings).map((fn) => ({ fn, trigger: triggerOf(fn) }));
  functions.forEach(({ fn }) => checkOutputs(fn));
  const timers: TimerTrigger[] = [];
  const listeners = new Map<string, QueueListener[]>();
  let server: HttpTriggerServer | undefined;
  const stop = async (graceMs: number): Promise<void> => {
    await Promise.all([
      ...timers.map((timer) => timer.stop()),
      ...[...listeners.values()].flat().map((listener) => listener.stop(graceMs)),
    ]);
    await server?.close();
    for (const hook of app.registrations.hooks.appTerminate) await hook({ hookData: appHookData, appHookData });
  };
  const outputs: OutputBindingContext = {
    settings,
    messageEncoding: hostJson.queues.messageEncoding,
    onQueueWritten: (queueName) => listeners.get(queueName)?.forEach((listener) => listener.wake()),
  };
  const run: Run = async (fn, trigger, data, metadata, reason) => {
    const response = await invokeFunction(
      app,
      fn,
      { inputData: [{ name: trigger.name, data }], triggerMetadata: toTriggerMetadata(metadata), reason },
      appHookData,
      log,
    );
    await writeOutputs(
      fn,
      response,
      Object.fromEntries(Object.entries(metadata).map(([k, v]) => [k, String(v)])),
      outputs,
    );
    return response;
  };

  const routes = functions
    .filter(({ trigger }) => trigger.type === 'httpTrigger')
    .map(({ fn, trigger }) => httpRoute(fn, trigger, run));
  try {
    // The port first: when it is taken, the host fails before any trigger has fired or polled.
    server = await startHttpTriggerServer({
      host: options.host ?? '127.0.0.1',
      port: options.port ?? 7071,
      routePrefix: hostJson.routePrefix,
      routes,
      keys: options.keys ?? keysFromSettings(settings),
      maxRequestBodyBytes: 100 * 1024 * 1024,
      log,
    });
    for (const { fn, trigger } of functions) {
      const name = fn.metadata.name;
      if (trigger.type === 'timerTrigger') {
        timers.push(
          startTimerTrigger({
            functionName: name,
            schedule: parseTimerSchedule(name, String(trigger.binding['schedule'])),
            runOnStartup: trigger.binding['runOnStartup'] === true,
            invoke: async (timer) => {
              await run(fn, trigger, { json: JSON.stringify(timer) }, {}, 'Timer fired');
            },
          }),
        );
      }
      if (trigger.type === 'queueTrigger') {
        const queueName = String(trigger.binding['queueName']);
        const listener = queueListener(queueName, trigger, hostJson, settings, log, (message) =>
          run(
            fn,
            trigger,
            { string: message.text },
            message.metadata,
            `New queue message detected on '${queueName}'.`,
          ).then(() => undefined),
        );
        listeners.set(queueName, [...(listeners.get(queueName) ?? []), listener]);
      }
    }
  } catch (error) {
    // What started stops again and the app's terminate hooks run, so a failed start leaves nothing behind.
    await stop(0);
    throw error;
  }
  const hosted = summarize(functions, routes, server.url, hostJson);
  log({ level: 'info', msg: `Host started: ${hosted.length} function(s)`, url: server.url, functions: hosted });

  return {
    url: server.url,
    functions: hosted,
    async close() {
      await stop(options.shutdownGraceMs ?? 30_000);
      restoreEnvironment();
      log({ level: 'info', msg: 'Host stopped' });
    },
  };
}

type Run = (
  fn: RegisteredFunction,
  trigger: TriggerBinding,
  data: RpcTypedData,
  metadata: Record<string, string | number>,
  reason: string,
) => Promise<RpcInvocationResponse>;

function httpRoute(fn: RegisteredFunction, trigger: TriggerBinding, run: Run): HttpFunctionRoute {
  const { binding } = trigger;
  return {
    functionName: fn.metadata.name,
    route: typeof binding['route'] === 'string' ? binding['route'] : fn.metadata.name,
    methods: (Array.isArray(binding['methods']) ? (binding['methods'] as string[]) : ['GET', 'POST']).map((m) =>
      m.toUpperCase(),
    ),
    // eslint-disable-next-line @typescript-eslint/no-base-to-string -- a setting of untyped app metadata, taken as text the way the host does
    authLevel: String(binding['authLevel'] ?? 'anonymous').toLowerCase() as HttpFunctionRoute['authLevel'],
    invoke: async (request) => {
      const response = await run(
        fn,
        trigger,
        { http: request },
        { ...(request.params ?? {}) },
        `This function was programmatically called via the host APIs.`,
      );
      return response.returnValue;
    },
  };
}

function queueListener(
  queueName: string,
  trigger: TriggerBinding,
  hostJson: HostJson,
  settings: Readonly<Record<string, string | undefined>>,
  log: HostLog,
  handler: Parameters<typeof startQueueListener>[0]['handler'],
): QueueListener {
  const service = createQueueServiceClient(
    resolveStorageConnection(settings, trigger.binding['connection'] as string | undefined, 'queue'),
  );
  return startQueueListener({
    queue: service.getQueueClient(queueName),
    poisonQueue: poisonQueueFor(service, queueName),
    settings: hostJson.queues,
    handler,
    log,
  });
}

function checkOutputs(fn: RegisteredFunction): void {
  for (const [name, binding] of Object.entries(fn.metadata.bindings)) {
    if (binding.direction !== 'out' || binding.type === 'http') continue;
    if (!SUPPORTED_OUTPUT_TYPES.includes(String(binding.type))) {
      throw new UnsupportedBindingError(
        `function ${fn.metadata.name}: output binding "${name}" of type "${String(binding.type)}" is not supported by the local host`,
      );
    }
  }
  const inputs = Object.entries(fn.metadata.bindings).filter(
    ([, binding]) => binding.direction === 'in' && !binding.type?.endsWith('Trigger'),
  );
  if (inputs.length > 0)
    throw new UnsupportedBindingError(
      `function ${fn.metadata.name}: input bindings (${inputs.map(([n]) => n).join(', ')}) are not supported by the local host`,
    );
}

function summarize(
  functions: { fn: RegisteredFunction; trigger: TriggerBinding & { type: string } }[],
  routes: HttpFunctionRoute[],
  baseUrl: string,
  hostJson: HostJson,
): HostedFunction[] {
  return functions.map(({ fn, trigger }) => {
    const route = routes.find((r) => r.functionName === fn.metadata.name);
    if (!route) return { name: fn.metadata.name, trigger: trigger.type };
    const prefix = hostJson.routePrefix ? `/${hostJson.routePrefix}` : '';
    return {
      name: fn.metadata.name,
      trigger: trigger.type,
      methods: route.methods,
      url: `${baseUrl}${prefix}/${route.route}`,
    };
  });
}

function keysFromSettings(settings: Readonly<Record<string, string | undefined>>): FunctionKeys | undefined {
  const master = settings['FUNCTIONS_MASTER_KEY'];
  const hostKey = settings['FUNCTIONS_HOST_KEY'];
  if (!master && !hostKey) return undefined;
  return { master, host: hostKey ? { default: hostKey } : {}, functions: {} };
}

function currentSettings(): Readonly<Record<string, string | undefined>> {
  return { ...process.env };
}

/**
 * Puts local.settings.json `Values` into the environment where the environment does not already
 * have them (Core Tools' rule), then `overrides` over everything; returns how to undo it.
 */
function applySettings(
  local: Record<string, string>,
  overrides: Readonly<Record<string, string>>,
  log: HostLog,
): () => void {
  const previous = new Map<string, string | undefined>();
  const set = (name: string, value: string): void => {
    if (!previous.has(name)) previous.set(name, process.env[name]);
    process.env[name] = value;
  };
  for (const [name, value] of Object.entries(local)) {
    if (process.env[name] === undefined) set(name, value);
    else
      log({
        level: 'info',
        msg: `Skipping '${name}' from local settings as it's already defined in current environment variables.`,
      });
  }
  for (const [name, value] of Object.entries(overrides)) set(name, value);
  return () => {
    for (const [name, value] of previous) {
      // eslint-disable-next-line @typescript-eslint/no-dynamic-delete -- unsetting an environment variable takes delete (assigning undefined stores "undefined")
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
}
