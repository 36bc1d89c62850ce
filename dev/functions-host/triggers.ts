import type { LoadedApp } from './app-loader';
import type { RegisteredFunction } from './core-api';
import type { RpcBindingInfo, RpcTypedData } from './rpc-types';

/** The trigger binding of a function and its name in the metadata. */
export interface TriggerBinding {
  readonly name: string;
  readonly binding: RpcBindingInfo;
}

/** Trigger types the local host runs. */
export const SUPPORTED_TRIGGERS = ['httpTrigger', 'queueTrigger', 'timerTrigger'] as const;
export type SupportedTrigger = (typeof SUPPORTED_TRIGGERS)[number];

/** A function that cannot run on the local host; names it and says why. */
export class FunctionIndexingError extends Error {
  override readonly name = 'FunctionIndexingError';
  readonly code = 'HOST_FUNCTION_INVALID';
}

/** The one trigger binding of a function. */
export function triggerOf(fn: RegisteredFunction): TriggerBinding & { readonly type: SupportedTrigger } {
  const triggers = Object.entries(fn.metadata.bindings).filter(([, binding]) => binding.type?.endsWith('Trigger'));
  const [trigger] = triggers;
  if (!trigger || triggers.length > 1) {
    throw new FunctionIndexingError(
      `function ${fn.metadata.name} must have exactly one trigger, has ${triggers.length}`,
    );
  }
  const [name, binding] = trigger;
  const type = binding.type as SupportedTrigger;
  if (!SUPPORTED_TRIGGERS.includes(type)) {
    throw new FunctionIndexingError(
      `function ${fn.metadata.name}: trigger type "${String(binding.type)}" is not supported by the local host (supported: ${SUPPORTED_TRIGGERS.join(', ')})`,
    );
  }
  return { name, binding, type };
}

/** Functions the app registered, less those disabled with `AzureWebJobs.<name>.Disabled`. */
export function enabledFunctions(
  app: LoadedApp,
  settings: Readonly<Record<string, string | undefined>>,
): RegisteredFunction[] {
  return app.registrations.functions.filter(
    ({ metadata }) => settings[`AzureWebJobs.${metadata.name}.Disabled`]?.toLowerCase() !== 'true',
  );
}

/** Trigger metadata as the host sends it: each value as typed data. */
export function toTriggerMetadata(values: Record<string, string | number>): Record<string, RpcTypedData> {
  return Object.fromEntries(
    Object.entries(values).map(([key, value]) => [key, typeof value === 'number' ? { int: value } : { string: value }]),
  );
}
