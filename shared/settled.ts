// Helpers for steps run side by side that must all have finished before the caller goes on (a function's
// invocation must not leave work running behind it), whichever of them fails.

/** The value of a settled promise, or its rejection thrown. */
export function settledValue<T>(result: PromiseSettledResult<T>): T {
  if (result.status === 'rejected') throw result.reason;
  return result.value;
}

/** Waits for every one of `steps`; then rejects with the first failure in their order, if any. */
export async function allSettledOrThrow(steps: readonly Promise<unknown>[]): Promise<void> {
  for (const result of await Promise.allSettled(steps)) settledValue(result);
}
