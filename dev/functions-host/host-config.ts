import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';

import { ensureError } from '../../shared/errors';
import type { QueueTriggerSettings } from './queue-listener';

/** host.json or local.settings.json holds something the host cannot use; names the file and key. */
export class HostConfigError extends Error {
  override readonly name = 'HostConfigError';
  readonly code = 'HOST_CONFIG_INVALID';
  constructor(
    readonly file: string,
    readonly key: string,
    reason: string,
  ) {
    super(`${file}: ${key} ${reason}`);
  }
}

/** host.json `extensions.queues`, in milliseconds, with the host's defaults. */
export type QueuesConfig = QueueTriggerSettings;

/** What the local host reads from host.json. */
export interface HostJson {
  readonly routePrefix: string;
  readonly queues: QueuesConfig;
}

/**
 * Parses a .NET `TimeSpan` as host.json v2 holds it (`"00:00:02"`, `"1.02:03:04.5"`), in ms. A bare
 * number is refused: the real host reads `2000` as two thousand days, a silent outage.
 */
export function parseTimeSpanMs(value: unknown, file: string, key: string): number {
  const match =
    typeof value === 'string'
      ? /^(?:(\d+)\.)?(\d{1,2}):(\d{1,2})(?::(\d{1,2})(?:\.(\d{1,7}))?)?$/.exec(value.trim())
      : null;
  if (!match) {
    const hint = typeof value === 'number' ? '; a bare number is read by the Functions host as days' : '';
    throw new HostConfigError(
      file,
      key,
      `must be a TimeSpan string such as "00:00:02" (hh:mm:ss), got ${JSON.stringify(value)}${hint}`,
    );
  }
  const [, days = '0', hours = '0', minutes = '0', seconds = '0', fraction = '0'] = match;
  const fractionMs = Number(`0.${fraction}`) * 1000;
  return ((Number(days) * 24 + Number(hours)) * 60 + Number(minutes)) * 60_000 + Number(seconds) * 1000 + fractionMs;
}

function integerIn(value: unknown, file: string, key: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new HostConfigError(file, key, `must be a whole number from ${min} to ${max}, got ${JSON.stringify(value)}`);
  }
  return value;
}

function objectAt(value: unknown, file: string, key: string): Record<string, unknown> {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new HostConfigError(file, key, 'must be an object');
  return value as Record<string, unknown>;
}

/**
 * Reads host.json, with `AzureFunctionsJobHost__<path>` settings overriding its values as in Azure: `version` "2.0", `extensions.http.routePrefix` (default `api`) and
 * `extensions.queues` with the real host's defaults (spec §2.1). In the Development environment,
 * as under `func start`, an unset `maxPollingInterval` is 2 s instead of 1 min.
 *
 * @throws HostConfigError naming the key for anything invalid.
 */
export function readHostJson(
  appRoot: string,
  environment: 'Development' | 'Production' = 'Development',
  settings: Readonly<Record<string, string | undefined>> = {},
): HostJson {
  const file = join(appRoot, 'host.json');
  let json: Record<string, unknown>;
  try {
    json = objectAt(JSON.parse(readFileSync(file, 'utf8')) as unknown, file, '(document)');
  } catch (error) {
    if (error instanceof HostConfigError) throw error;
    throw new HostConfigError(file, '(document)', `cannot be read: ${ensureError(error).message}`);
  }
  applyHostSettingOverrides(json, settings);
  if (json['version'] !== '2.0')
    throw new HostConfigError(file, 'version', `must be "2.0", got ${JSON.stringify(json['version'])}`);
  const extensions = objectAt(json['extensions'], file, 'extensions');
  const http = objectAt(extensions['http'], file, 'extensions.http');
  const routePrefix = http['routePrefix'] ?? 'api';
  if (typeof routePrefix !== 'string')
    throw new HostConfigError(file, 'extensions.http.routePrefix', 'must be a string');
  return {
    routePrefix,
    queues: readQueues(objectAt(extensions['queues'], file, 'extensions.queues'), file, environment),
  };
}

const OVERRIDE_PREFIX = 'AzureFunctionsJobHost__';

// App settings override host.json: `AzureFunctionsJobHost__extensions__queues__maxDequeueCount=2` sets
// extensions.queues.maxDequeueCount (Azure's documented host.json override). Settings are strings; whole numbers become numbers, as the
// host's configuration binder converts them.
function applyHostSettingOverrides(
  json: Record<string, unknown>,
  settings: Readonly<Record<string, string | undefined>>,
): void {
  for (const [name, value] of Object.entries(settings)) {
    if (!name.startsWith(OVERRIDE_PREFIX) || value === undefined) continue;
    const path = name.slice(OVERRIDE_PREFIX.length).split('__');
    const leaf = path.pop();
    if (leaf === undefined || leaf === '') continue;
    let node = json;
    for (const key of path) node = overrideTarget(node, key);
    node[leaf] = /^\d+$/.test(value) ? Number(value) : value;
  }
}

/** The object at `node[key]`, put there (in place of anything else) when there is none. */
function overrideTarget(node: Record<string, unknown>, key: string): Record<string, unknown> {
  const child = node[key];
  if (typeof child === 'object' && child !== null && !Array.isArray(child)) return child as Record<string, unknown>;
  return (node[key] = {});
}

function readQueues(queues: Record<string, unknown>, file: string, environment: string): QueuesConfig {
  const key = (name: string): string => `extensions.queues.${name}`;
  const batchSize =
    queues['batchSize'] === undefined ? 16 : integerIn(queues['batchSize'], file, key('batchSize'), 1, 32);
  const defaultThreshold = Math.floor(batchSize / 2) * availableParallelism();
  const encoding = queues['messageEncoding'] ?? 'base64';
  if (encoding !== 'base64' && encoding !== 'none') {
    throw new HostConfigError(
      file,
      key('messageEncoding'),
      `must be "base64" or "none", got ${JSON.stringify(encoding)}`,
    );
  }
  const defaultPollingMs = environment === 'Development' ? 2_000 : 60_000;
  return {
    batchSize,
    newBatchThreshold:
      queues['newBatchThreshold'] === undefined
        ? defaultThreshold
        : integerIn(queues['newBatchThreshold'], file, key('newBatchThreshold'), 0, 10_000),
    maxPollingIntervalMs:
      queues['maxPollingInterval'] === undefined
        ? defaultPollingMs
        : atLeast(
            parseTimeSpanMs(queues['maxPollingInterval'], file, key('maxPollingInterval')),
            100,
            file,
            key('maxPollingInterval'),
          ),
    visibilityTimeoutMs:
      queues['visibilityTimeout'] === undefined
        ? 0
        : parseTimeSpanMs(queues['visibilityTimeout'], file, key('visibilityTimeout')),
    maxDequeueCount:
      queues['maxDequeueCount'] === undefined
        ? 5
        : integerIn(queues['maxDequeueCount'], file, key('maxDequeueCount'), 1, 1_000),
    messageEncoding: encoding,
  };
}

function atLeast(ms: number, minimumMs: number, file: string, key: string): number {
  if (ms < minimumMs) throw new HostConfigError(file, key, `must be at least 00:00:00.100, got ${ms} ms`);
  return ms;
}

/**
 * Reads `Values` of local.settings.json (absent file: none), as Core Tools does: strings only, and
 * no encrypted files.
 *
 * @throws HostConfigError for malformed JSON, `IsEncrypted: true`, or a value that is not a string.
 */
export function readLocalSettings(appRoot: string): Record<string, string> {
  const file = join(appRoot, 'local.settings.json');
  if (!existsSync(file)) return {};
  let json: Record<string, unknown>;
  try {
    json = objectAt(JSON.parse(readFileSync(file, 'utf8')) as unknown, file, '(document)');
  } catch (error) {
    if (error instanceof HostConfigError) throw error;
    throw new HostConfigError(file, '(document)', `is not valid JSON: ${ensureError(error).message}`);
  }
  if (json['IsEncrypted'] === true)
    throw new HostConfigError(file, 'IsEncrypted', 'is true; the local host cannot decrypt settings');
  const values = objectAt(json['Values'], file, 'Values');
  for (const [name, value] of Object.entries(values)) {
    if (typeof value !== 'string')
      throw new HostConfigError(file, `Values.${name}`, `must be a string, got ${JSON.stringify(value)}`);
  }
  return values as Record<string, string>;
}
