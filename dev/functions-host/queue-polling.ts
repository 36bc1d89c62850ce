/**
 * The empty-poll back-off of the queue trigger listener: the real host's
 * `RandomizedExponentialBackoffStrategy.cs` with `QueuePollingIntervals.Minimum`.
 */

/** `QueuePollingIntervals.Minimum`: the first back-off delay, and the step of the exponential growth. */
export const MIN_POLLING_INTERVAL_MS = 100;
const RANDOMIZATION_FACTOR = 0.2;

/**
 * The randomized exponential back-off of the real host: the delay before the next poll after an empty one.
 * `previousDelayMs` is 0 for the first empty poll since start or since messages were found, else the value this
 * function returned last; the host's hidden exponent is recovered from it (the randomized ranges of successive
 * exponents do not overlap). Gives 100 ms, then 100 + r×100, 100 + r×200, 100 + r×400 … with r in [0.8, 1.2],
 * capped at `maxPollingIntervalMs` and then staying there.
 * @throws RangeError when `maxPollingIntervalMs` is below 100 ms (the host rejects it too).
 */
export function nextPollingDelayMs(
  previousDelayMs: number,
  maxPollingIntervalMs: number,
  random: () => number,
): number {
  if (!(maxPollingIntervalMs >= MIN_POLLING_INTERVAL_MS)) {
    throw new RangeError(
      `maxPollingIntervalMs must not be less than ${MIN_POLLING_INTERVAL_MS}, got ${maxPollingIntervalMs}`,
    );
  }
  if (previousDelayMs >= maxPollingIntervalMs) return maxPollingIntervalMs;
  if (previousDelayMs < MIN_POLLING_INTERVAL_MS) return MIN_POLLING_INTERVAL_MS;
  // previous = 100 + f × 2^(e-2) × 100 with f in [0.8, 1.2] for exponent e ≥ 2, and exactly 100 for e = 1.
  const growth = (previousDelayMs - MIN_POLLING_INTERVAL_MS) / MIN_POLLING_INTERVAL_MS;
  const exponent = growth <= 0 ? 1 : Math.max(1, Math.round(Math.log2(growth)) + 2);
  const factor = 1 - RANDOMIZATION_FACTOR + 2 * RANDOMIZATION_FACTOR * random();
  const delay = MIN_POLLING_INTERVAL_MS + factor * 2 ** (exponent - 1) * MIN_POLLING_INTERVAL_MS;
  return Math.min(delay, maxPollingIntervalMs);
}
