import { hostname } from 'node:os';

import Ajv, { type ErrorObject } from 'ajv';

/**
 * Settings of each process, parsed and validated once at start from the environment (app
 * settings in Azure, local.settings.json or the shell locally) and passed down as a frozen object.
 * Nothing else reads `process.env`.
 */

/** One or more settings are unusable; names every one of them, never their values. */
export class SettingsError extends Error {
  override readonly name = 'SettingsError';
  readonly code = 'SETTINGS_INVALID';
  constructor(readonly problems: readonly { readonly setting: string; readonly problem: string }[]) {
    super(`invalid settings: ${problems.map(({ setting, problem }) => `${setting} ${problem}`).join('; ')}`);
  }
}

const ajv = new Ajv({ allErrors: true, coerceTypes: true, useDefaults: true });

const positiveInteger = (defaultValue: number, maximum: number) =>
  ({ type: 'integer', minimum: 1, maximum, default: defaultValue }) as const;

const relaySchema = {
  type: 'object',
  required: ['BIGCHAINDB_URL'],
  properties: {
    BIGCHAINDB_URL: { type: 'string', pattern: '^https?://' },
    BIGCHAINDB_STREAM_URL: { type: 'string', pattern: '^wss?://' },
    RELAY_STORAGE_CONNECTION: { type: 'string', minLength: 1, default: 'AzureWebJobsStorage' },
    LEDGER_EVENTS_QUEUE: { type: 'string', pattern: '^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$', default: 'ledger-events' },
    RELAY_CHECKPOINT_CONTAINER: { type: 'string', pattern: '^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$', default: 'relay-checkpoints' },
    RELAY_START_HEIGHT: { type: 'integer', minimum: 0, default: 0 },
    RELAY_SEND_CONCURRENCY: positiveInteger(32, 256),
    RELAY_MAX_BUFFERED_EVENTS: positiveInteger(10_000, 1_000_000),
    RELAY_BACKFILL_BATCH_BLOCKS: positiveInteger(100, 10_000),
    RELAY_PING_INTERVAL_MS: positiveInteger(15_000, 600_000),
    RELAY_IDLE_PROBE_MS: positiveInteger(10_000, 600_000),
    RELAY_RECONNECT_MAX_DELAY_MS: positiveInteger(30_000, 600_000),
    RELAY_LEASE_SECONDS: { type: 'integer', minimum: 15, maximum: 60, default: 30 },
    RELAY_INSTANCE_ID: { type: 'string', minLength: 1 },
    APPLICATIONINSIGHTS_CONNECTION_STRING: { type: 'string', minLength: 1 },
    WEBJOBS_SHUTDOWN_FILE: { type: 'string', minLength: 1 },
  },
} as const;

const validateRelay = ajv.compile(relaySchema);

/** The relay worker's settings. */
export interface RelaySettings {
  /** BigchainDB HTTP API v1 root, always ending in `/api/v1/`. */
  readonly bigchainDbApiUrl: string;
  /** Event Stream URL; undefined means: as advertised by `GET /`, corrected for the host. */
  readonly streamUrl: string | undefined;
  /** Name of the storage connection setting prefix (a connection string, or `<name>__queueServiceUri`, …). */
  readonly storageConnection: string;
  readonly queueName: string;
  readonly checkpointContainer: string;
  /** Height to start from when no checkpoint is stored yet; a stored checkpoint always wins. */
  readonly startHeight: number;
  readonly sendConcurrency: number;
  readonly maxBufferedEvents: number;
  readonly backfillBatchBlocks: number;
  readonly pingIntervalMs: number;
  readonly idleProbeMs: number;
  readonly reconnectMaxDelayMs: number;
  readonly leaseSeconds: number;
  readonly instanceId: string;
  readonly applicationInsightsConnectionString: string | undefined;
  /** Azure WebJobs creates this file to ask for a graceful stop. */
  readonly shutdownFile: string | undefined;
}

/**
 * Reads and validates the relay's settings from `env`.
 *
 * @throws SettingsError naming every bad or missing setting.
 */
export function parseRelaySettings(env: Readonly<Record<string, string | undefined>>): RelaySettings {
  const values: Record<string, unknown> = Object.fromEntries(
    Object.keys(relaySchema.properties)
      .filter((name) => env[name] !== undefined && env[name] !== '')
      .map((name) => [name, env[name]]),
  );
  if (!validateRelay(values)) throw new SettingsError(problemsOf(validateRelay.errors ?? []));
  const v = values as Record<keyof typeof relaySchema.properties, never>;
  return Object.freeze({
    bigchainDbApiUrl: apiRoot(v.BIGCHAINDB_URL),
    streamUrl: v.BIGCHAINDB_STREAM_URL,
    storageConnection: v.RELAY_STORAGE_CONNECTION,
    queueName: v.LEDGER_EVENTS_QUEUE,
    checkpointContainer: v.RELAY_CHECKPOINT_CONTAINER,
    startHeight: v.RELAY_START_HEIGHT,
    sendConcurrency: v.RELAY_SEND_CONCURRENCY,
    maxBufferedEvents: v.RELAY_MAX_BUFFERED_EVENTS,
    backfillBatchBlocks: v.RELAY_BACKFILL_BATCH_BLOCKS,
    pingIntervalMs: v.RELAY_PING_INTERVAL_MS,
    idleProbeMs: v.RELAY_IDLE_PROBE_MS,
    reconnectMaxDelayMs: v.RELAY_RECONNECT_MAX_DELAY_MS,
    leaseSeconds: v.RELAY_LEASE_SECONDS,
    instanceId: v.RELAY_INSTANCE_ID ?? `${hostname()}-${process.pid}`,
    applicationInsightsConnectionString: v.APPLICATIONINSIGHTS_CONNECTION_STRING,
    shutdownFile: v.WEBJOBS_SHUTDOWN_FILE,
  });
}

/** `http://host:9984`, `…/api/v1` and `…/api/v1/` all name the same API root. */
function apiRoot(url: string): string {
  const trimmed = url.replace(/\/+$/, '');
  return trimmed.endsWith('/api/v1') ? `${trimmed}/` : `${trimmed}/api/v1/`;
}

function problemsOf(errors: readonly ErrorObject[]): { setting: string; problem: string }[] {
  return errors.map((error) => {
    const setting = error.keyword === 'required' ? String(error.params['missingProperty']) : error.instancePath.slice(1);
    return { setting, problem: error.keyword === 'required' ? 'is required' : (error.message ?? 'is invalid') };
  });
}
