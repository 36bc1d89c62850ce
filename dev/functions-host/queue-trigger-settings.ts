import { MIN_POLLING_INTERVAL_MS } from './queue-polling';

/** host.json `extensions.queues`, already parsed and validated by the caller, in milliseconds. */
export interface QueueTriggerSettings {
  /** Messages per receive, 1..32. Default 16. */
  readonly batchSize: number;
  /** Poll again once this many or fewer messages are in flight. Default batchSize/2 × processor count. */
  readonly newBatchThreshold: number;
  /** Cap of the empty-poll back-off, at least 100 ms. Default 60 000 (2 000 in Development). */
  readonly maxPollingIntervalMs: number;
  /** Delay before a failed message is visible again; whole seconds count (the REST API truncates). Default 0. */
  readonly visibilityTimeoutMs: number;
  /** Deliveries before a failing message is moved to the poison queue, at least 1. Default 5. */
  readonly maxDequeueCount: number;
  /** How message text is stored. Default `base64`. */
  readonly messageEncoding: 'base64' | 'none';
}

const isIntegerIn = (value: number, min: number, max = Number.MAX_SAFE_INTEGER): boolean =>
  Number.isInteger(value) && value >= min && value <= max;

/**
 * Checks the settings, and the listener's processing lease, against the host's ranges.
 * @throws RangeError naming every setting out of range.
 */
export function validateQueueTriggerSettings(settings: QueueTriggerSettings, leaseMs: number): void {
  const checks: [boolean, string][] = [
    [isIntegerIn(settings.batchSize, 1, 32), 'batchSize must be an integer in 1..32'],
    [isIntegerIn(settings.newBatchThreshold, 0), 'newBatchThreshold must be an integer ≥ 0'],
    [settings.maxPollingIntervalMs >= MIN_POLLING_INTERVAL_MS, 'maxPollingIntervalMs must be ≥ 100'],
    [settings.visibilityTimeoutMs >= 0, 'visibilityTimeoutMs must be ≥ 0'],
    [isIntegerIn(settings.maxDequeueCount, 1), 'maxDequeueCount must be an integer ≥ 1'],
    [isIntegerIn(leaseMs / 1000, 1), 'leaseMs must be whole seconds, at least 1000'],
  ];
  const problems = checks.filter(([valid]) => !valid).map(([, problem]) => problem);
  if (problems.length > 0) throw new RangeError(`Invalid queue trigger settings: ${problems.join('; ')}`);
}
