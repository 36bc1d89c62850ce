import Module from 'node:module';

import type {
  FunctionCallback,
  FunctionMetadata,
  HookCallback,
  HookName,
  ProgrammingModel,
  RpcLogCategory,
  RpcLogLevel,
} from './rpc-types';

/**
 * The `@azure/functions-core` module, which the Functions Node worker provides to the app and which
 * `@azure/functions` asks for to hand over its programming model, every function and every hook.
 * One per process, as in the worker.
 */

/** A function the app registered: its metadata (bindings included) and its handler. */
export interface RegisteredFunction {
  readonly metadata: FunctionMetadata;
  readonly callback: FunctionCallback;
}

/** Everything one app registered while it loaded. */
export interface AppRegistrations {
  readonly functions: RegisteredFunction[];
  readonly hooks: Record<HookName, HookCallback[]>;
}

class Disposable {
  static from(...disposables: { dispose: () => unknown }[]): Disposable {
    return new Disposable(() => disposables.forEach((disposable) => disposable.dispose()));
  }

  constructor(private readonly onDispose: () => unknown) {}

  dispose(): unknown {
    return this.onDispose();
  }
}

let programmingModel: ProgrammingModel | undefined;
let loading: AppRegistrations | undefined;
let lastLoaded: AppRegistrations | undefined;
let systemLog: (level: RpcLogLevel, category: RpcLogCategory, message: string) => void = () => undefined;

function removeFrom<T>(list: T[], item: T): void {
  const index = list.indexOf(item);
  if (index >= 0) list.splice(index, 1);
}

/** The module object handed to `require('@azure/functions-core')`. */
export const coreApi = {
  version: '3.10.1',
  hostVersion: '4.1040.300',
  Disposable,
  registerFunction(metadata: FunctionMetadata, callback: FunctionCallback): Disposable {
    // The worker refuses registrations after indexing, with this message.
    if (!loading) throw new Error('A function can only be registered during app startup.');
    const registered = { metadata, callback };
    const { functions } = loading;
    functions.push(registered);
    return new Disposable(() => removeFrom(functions, registered));
  },
  registerHook(name: HookName, callback: HookCallback): Disposable {
    const registrations = loading ?? lastLoaded;
    if (!registrations) throw new Error(`Hook "${name}" registered before any app was loaded.`);
    // `name` comes from app code at run time, whatever its declared type says.
    if (!Object.hasOwn(registrations.hooks, name)) throw new RangeError(`Unrecognized hook "${name}"`);
    const hooks = registrations.hooks[name];
    hooks.push(callback);
    return new Disposable(() => removeFrom(hooks, callback));
  },
  setProgrammingModel(model: ProgrammingModel): void {
    programmingModel = model;
  },
  getProgrammingModel(): ProgrammingModel | undefined {
    return programmingModel;
  },
  log(level: RpcLogLevel, category: RpcLogCategory, message: string): void {
    systemLog(level, category, message);
  },
};

/** The programming model the library set when it loaded. */
export function currentProgrammingModel(): ProgrammingModel {
  if (!programmingModel) {
    throw new Error('the app registered no programming model: does it load "@azure/functions" version 4 or later?');
  }
  return programmingModel;
}

/** Where logs made outside invocations (`coreApi.log`) go. */
export function setSystemLog(log: typeof systemLog): void {
  systemLog = log;
}

/** Runs `load` (which requires the app) and returns what it registered. */
export function collectRegistrations(load: () => void): AppRegistrations {
  const registrations: AppRegistrations = {
    functions: [],
    hooks: { preInvocation: [], postInvocation: [], appStart: [], appTerminate: [], log: [] },
  };
  loading = registrations;
  try {
    load();
  } finally {
    loading = undefined;
  }
  lastLoaded = registrations;
  return registrations;
}

let installed = false;

/**
 * Makes `require('@azure/functions-core')` answer {@link coreApi} in this process, as the worker
 * does (it proxies `Module.prototype.require` too). Under jest, whose loader bypasses this, the
 * jest config maps the module name to `core-module.ts` instead.
 */
export function installCoreModule(): void {
  if (installed) return;
  installed = true;
  const prototype = Module.prototype as unknown as { require: (id: string) => unknown };
  prototype.require = new Proxy(prototype.require, {
    apply(target, thisArg, args: [string]) {
      return args[0] === '@azure/functions-core' ? coreApi : Reflect.apply(target, thisArg, args);
    },
  });
}
