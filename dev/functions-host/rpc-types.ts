/**
 * The subset of the Functions worker contract (`@azure/functions-core`, whose types the library
 * declares but does not ship) that the local host speaks: the shapes the real host sends to and
 * receives from a Node worker over gRPC, here passed in process.
 */

/** A value crossing the host/worker boundary; exactly one field is set. */
export interface RpcTypedData {
  string?: string | null;
  json?: string | null;
  bytes?: Uint8Array | null;
  stream?: Uint8Array | null;
  http?: RpcHttpData | null;
  int?: number | null;
  double?: number | null;
  collectionString?: { string?: string[] | null } | null;
  collectionBytes?: { bytes?: Uint8Array[] | null } | null;
  collectionDouble?: { double?: number[] | null } | null;
  collectionSint64?: { sint64?: number[] | null } | null;
}

/** An HTTP request (host → worker) or response (worker → host). */
export interface RpcHttpData {
  method?: string | null;
  url?: string | null;
  headers?: Record<string, string> | null;
  body?: RpcTypedData | null;
  params?: Record<string, string> | null;
  statusCode?: string | null;
  query?: Record<string, string> | null;
  enableContentNegotiation?: boolean | null;
  cookies?: RpcHttpCookie[] | null;
}

/** A `Set-Cookie` the function asked for. */
export interface RpcHttpCookie {
  name?: string | null;
  value?: string | null;
  domain?: { value?: string | null } | null;
  path?: { value?: string | null } | null;
  expires?: { value?: { seconds?: number | null; nanos?: number | null } | null } | null;
  secure?: { value?: boolean | null } | null;
  httpOnly?: { value?: boolean | null } | null;
  sameSite?: 'none' | 'lax' | 'strict' | 'explicitNone' | null;
  maxAge?: { value?: number | null } | null;
}

/** One binding of a function as the library describes it. */
export interface RpcBindingInfo {
  type?: string | null;
  direction?: 'in' | 'out' | 'inout' | null;
  dataType?: string | null;
  [setting: string]: unknown;
}

/** What `registerFunction` receives. */
export interface FunctionMetadata {
  name: string;
  functionId?: string;
  bindings: Record<string, RpcBindingInfo>;
  retryOptions?: unknown;
}

export type RpcLogLevel = 'trace' | 'debug' | 'information' | 'warning' | 'error' | 'critical' | 'none';
export type RpcLogCategory = 'user' | 'system' | 'customMetric';

/** A named input or output value of one invocation. */
export interface RpcParameterBinding {
  name?: string | null;
  data?: RpcTypedData | null;
}

/** What the worker answers for one invocation. */
export interface RpcInvocationResponse {
  invocationId?: string | null;
  outputData?: RpcParameterBinding[] | null;
  returnValue?: RpcTypedData | null;
}

/** What the host sends for one invocation. */
export interface CoreInvocationContext {
  invocationId: string;
  request: {
    invocationId?: string;
    functionId?: string;
    inputData?: RpcParameterBinding[];
    triggerMetadata?: Record<string, RpcTypedData>;
    traceContext?: { traceParent?: string; traceState?: string; attributes?: Record<string, string> };
    retryContext?: { retryCount?: number; maxRetryCount?: number };
  };
  metadata: FunctionMetadata & { directory?: string; scriptFile?: string };
  state?: 'preInvocationHooks' | 'postInvocationHooks' | 'invocation';
  log(level: RpcLogLevel, category: RpcLogCategory, message: string): void;
}

/** The library's per-invocation model (`InvocationModel`). */
export interface InvocationModel {
  getArguments(): Promise<{ context: unknown; inputs: unknown[] }>;
  invokeFunction(context: unknown, inputs: unknown[], callback: FunctionCallback): Promise<unknown>;
  getResponse(context: unknown, result: unknown): Promise<RpcInvocationResponse>;
}

/** The library's programming model, set once when it loads. */
export interface ProgrammingModel {
  name: string;
  version: string;
  getInvocationModel(coreContext: CoreInvocationContext): InvocationModel | Promise<InvocationModel>;
  getCapabilities?(capabilities: Record<string, string>): Record<string, string> | Promise<Record<string, string>>;
}

export type FunctionCallback = (...args: unknown[]) => unknown;
export type HookName = 'preInvocation' | 'postInvocation' | 'appStart' | 'appTerminate' | 'log';
export type HookCallback = (context: Record<string, unknown>) => unknown;
