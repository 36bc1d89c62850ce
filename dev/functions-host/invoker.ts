import { randomUUID } from 'node:crypto';

import type { LoadedApp } from './app-loader';
import type { RegisteredFunction } from './core-api';
import type { HostLog } from './host-log';
import type { RpcInvocationResponse, RpcLogLevel, RpcParameterBinding, RpcTypedData } from './rpc-types';

/** What a trigger hands over for one invocation. */
export interface InvocationRequest {
  readonly inputData: RpcParameterBinding[];
  readonly triggerMetadata?: Record<string, RpcTypedData>;
  /** Why it runs, for the log (e.g. `New queue message detected on 'x'.`). */
  readonly reason: string;
}

/** A failed invocation: the function, a hook or the library threw. */
export class InvocationFailedError extends Error {
  override readonly name = 'InvocationFailedError';
  readonly code = 'HOST_INVOCATION_FAILED';
  constructor(
    readonly functionName: string,
    readonly invocationId: string,
    cause: unknown,
  ) {
    super(
      `Executed 'Functions.${functionName}' (Failed, Id=${invocationId}): ${cause instanceof Error ? cause.message : String(cause)}`,
      {
        cause,
      },
    );
  }
}

/** Shared by all hooks of the app (`appHookData` in the worker). */
export type AppHookData = Record<string, unknown>;

/**
 * Runs one invocation through the library's own programming model, in the worker's order:
 * `getInvocationModel`, `getArguments`, preInvocation hooks, `invokeFunction`, postInvocation hooks
 * (which may replace the result or the error), then `getResponse`. Logs one line when it starts and
 * one when it ends, as the host does.
 *
 * @throws InvocationFailedError when the invocation fails; the trigger decides what that means.
 */
export async function invokeFunction(
  app: LoadedApp,
  fn: RegisteredFunction,
  request: InvocationRequest,
  appHookData: AppHookData,
  log: HostLog,
): Promise<RpcInvocationResponse> {
  const invocationId = randomUUID();
  const functionName = fn.metadata.name;
  const started = performance.now();
  log({
    level: 'info',
    msg: `Executing 'Functions.${functionName}' (Reason='${request.reason}', Id=${invocationId})`,
    functionName,
    invocationId,
  });
  try {
    const response = await runInvocation(app, fn, invocationId, request, appHookData, log);
    const durationMs = Math.round(performance.now() - started);
    log({
      level: 'info',
      msg: `Executed 'Functions.${functionName}' (Succeeded, Id=${invocationId}, Duration=${durationMs}ms)`,
      functionName,
      invocationId,
      outcome: 'Succeeded',
      durationMs,
    });
    return response;
  } catch (thrown) {
    const durationMs = Math.round(performance.now() - started);
    const error = new InvocationFailedError(functionName, invocationId, thrown);
    log({
      level: 'error',
      msg: error.message,
      functionName,
      invocationId,
      outcome: 'Failed',
      durationMs,
      error: describe(thrown),
    });
    throw error;
  }
}

async function runInvocation(
  app: LoadedApp,
  fn: RegisteredFunction,
  invocationId: string,
  request: InvocationRequest,
  appHookData: AppHookData,
  log: HostLog,
): Promise<RpcInvocationResponse> {
  const functionName = fn.metadata.name;
  const userLog = (level: RpcLogLevel, category: string, message: string): void =>
    log({ level: hostLevel(level), msg: message, functionName, invocationId, category, logLevel: level });
  const model = await app.programmingModel.getInvocationModel({
    invocationId,
    request: {
      invocationId,
      functionId: fn.metadata.functionId ?? functionName,
      inputData: request.inputData,
      triggerMetadata: request.triggerMetadata ?? {},
    },
    metadata: { ...fn.metadata, directory: app.appRoot },
    log: userLog,
  });
  const { context, inputs } = await model.getArguments();
  const hookData: Record<string, unknown> = {};
  const pre = { invocationContext: context, inputs, functionCallback: fn.callback, hookData, appHookData };
  for (const hook of app.registrations.hooks.preInvocation) await hook(pre);

  let result: unknown;
  let error: unknown;
  try {
    result = await model.invokeFunction(context, pre.inputs, pre.functionCallback);
  } catch (thrown) {
    error = thrown;
  }
  const post = { invocationContext: context, inputs: pre.inputs, result, error, hookData, appHookData };
  for (const hook of app.registrations.hooks.postInvocation) await hook(post);
  // eslint-disable-next-line @typescript-eslint/only-throw-error -- rethrows what the function or a hook left in `error`, unchanged, as the worker does
  if (post.error !== undefined && post.error !== null) throw post.error;
  return model.getResponse(context, post.result);
}

function hostLevel(level: RpcLogLevel): 'debug' | 'info' | 'warn' | 'error' {
  switch (level) {
    case 'trace':
    case 'debug':
      return 'debug';
    case 'warning':
      return 'warn';
    case 'error':
    case 'critical':
      return 'error';
    default:
      return 'info';
  }
}

function describe(thrown: unknown): string {
  return thrown instanceof Error ? (thrown.stack ?? thrown.message) : String(thrown);
}
