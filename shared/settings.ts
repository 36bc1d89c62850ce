import { hostname } from 'node:os';

import Ajv, { type ErrorObject } from 'ajv';

import {
  resolveStorageConnection,
  type StorageConnection,
  StorageConnectionError,
  type StorageService,
} from './storage-connection';
import { publicKeyOfPrivateKey } from './transaction/ed25519-keys';

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

// `ClientId=<user-assigned identity>;Authorization=AAD`, where Application Insights has local authentication off.
const applicationInsightsAuthentication = {
  type: 'string',
  pattern: '(^|;)\\s*Authorization\\s*=\\s*AAD\\s*(;|$)',
} as const;

const relaySchema = {
  type: 'object',
  required: ['BIGCHAINDB_URL'],
  properties: {
    BIGCHAINDB_URL: { type: 'string', pattern: '^https?://' },
    BIGCHAINDB_STREAM_URL: { type: 'string', pattern: '^wss?://' },
    RELAY_STORAGE_CONNECTION: { type: 'string', minLength: 1, default: 'AzureWebJobsStorage' },
    LEDGER_EVENTS_QUEUE: {
      type: 'string',
      pattern: '^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$',
      default: 'ledger-events',
    },
    RELAY_CHECKPOINT_CONTAINER: {
      type: 'string',
      pattern: '^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$',
      default: 'relay-checkpoints',
    },
    RELAY_START_HEIGHT: { type: 'integer', minimum: 0, default: 0 },
    RELAY_SEND_CONCURRENCY: positiveInteger(32, 256),
    RELAY_MAX_BUFFERED_EVENTS: positiveInteger(10_000, 1_000_000),
    RELAY_BACKFILL_BATCH_BLOCKS: positiveInteger(100, 10_000),
    RELAY_CHECKPOINT_INTERVAL_MS: { type: 'integer', minimum: 0, maximum: 60_000, default: 1_000 },
    RELAY_PING_INTERVAL_MS: positiveInteger(15_000, 600_000),
    RELAY_IDLE_PROBE_MS: positiveInteger(10_000, 600_000),
    RELAY_RECONNECT_MAX_DELAY_MS: positiveInteger(30_000, 600_000),
    RELAY_LEASE_SECONDS: { type: 'integer', minimum: 15, maximum: 60, default: 30 },
    RELAY_INSTANCE_ID: { type: 'string', minLength: 1 },
    APPLICATIONINSIGHTS_CONNECTION_STRING: { type: 'string', minLength: 1 },
    APPLICATIONINSIGHTS_AUTHENTICATION_STRING: applicationInsightsAuthentication,
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
  /** Least time between two checkpoint writes while relaying live; a stop or a catch-up step writes at once. */
  readonly checkpointIntervalMs: number;
  readonly pingIntervalMs: number;
  readonly idleProbeMs: number;
  readonly reconnectMaxDelayMs: number;
  readonly leaseSeconds: number;
  readonly instanceId: string;
  readonly applicationInsightsConnectionString: string | undefined;
  /** `ClientId=<client id>;Authorization=AAD`: telemetry authenticates with that managed identity (shared/telemetry.ts). */
  readonly applicationInsightsAuthenticationString: string | undefined;
  /** Azure WebJobs creates this file to ask for a graceful stop. */
  readonly shutdownFile: string | undefined;
}

/**
 * Reads and validates the relay's settings from `env`.
 *
 * @throws SettingsError naming every bad or missing setting.
 */
export function parseRelaySettings(env: Readonly<Record<string, string | undefined>>): RelaySettings {
  const values = presentValues(env, Object.keys(relaySchema.properties));
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
    checkpointIntervalMs: v.RELAY_CHECKPOINT_INTERVAL_MS,
    pingIntervalMs: v.RELAY_PING_INTERVAL_MS,
    idleProbeMs: v.RELAY_IDLE_PROBE_MS,
    reconnectMaxDelayMs: v.RELAY_RECONNECT_MAX_DELAY_MS,
    leaseSeconds: v.RELAY_LEASE_SECONDS,
    instanceId: (v.RELAY_INSTANCE_ID as string | undefined) ?? `${hostname()}-${process.pid}`,
    applicationInsightsConnectionString: v.APPLICATIONINSIGHTS_CONNECTION_STRING,
    applicationInsightsAuthenticationString: v.APPLICATIONINSIGHTS_AUTHENTICATION_STRING,
    shutdownFile: v.WEBJOBS_SHUTDOWN_FILE,
  });
}

const functionsSchema = {
  type: 'object',
  required: ['BIGCHAINDB_URL', 'LEASING_COMPANY_PRIVATE_KEY', 'LEDGER_WEBHOOK_SECRET'],
  properties: {
    BIGCHAINDB_URL: { type: 'string', pattern: '^https?://' },
    BIGCHAINDB_REQUEST_TIMEOUT_MS: positiveInteger(10_000, 120_000),
    // An Ed25519 seed in base58 (BigchainDB's private key encoding): 32 bytes are 43 or 44 characters.
    LEASING_COMPANY_PRIVATE_KEY: { type: 'string', pattern: '^[1-9A-HJ-NP-Za-km-z]{32,44}$' },
    LEDGER_WEBHOOK_SECRET: { type: 'string', minLength: 32 },
    RELAY_CHECKPOINT_CONTAINER: {
      type: 'string',
      pattern: '^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$',
      default: 'relay-checkpoints',
    },
    APPLICATIONINSIGHTS_CONNECTION_STRING: { type: 'string', minLength: 1 },
    APPLICATIONINSIGHTS_AUTHENTICATION_STRING: applicationInsightsAuthentication,
  },
} as const;

const validateFunctions = ajv.compile(functionsSchema);

/** The Functions app's settings. Queue and table names are fixed (`shared/storage-names.ts`): bindings name them literally. */
export interface FunctionsSettings {
  /** BigchainDB HTTP API v1 root, always ending in `/api/v1/`. */
  readonly bigchainDbApiUrl: string;
  readonly bigchainDbRequestTimeoutMs: number;
  /** The leasing company's Ed25519 key pair (base58), which signs car registrations, leases and returns. */
  readonly leasingCompany: { readonly publicKey: string; readonly privateKey: string };
  /** Shared secret of the `POST /api/ledger-events` webhook's HMAC-SHA256 signatures. */
  readonly webhookSecret: string;
  /** The relay's checkpoint container, read by the health check. */
  readonly checkpointContainer: string;
  /** The host's storage account (`AzureWebJobsStorage`), resolved per service. */
  readonly storage: Readonly<Record<StorageService, StorageConnection>>;
  readonly applicationInsightsConnectionString: string | undefined;
  readonly applicationInsightsAuthenticationString: string | undefined;
}

/**
 * Reads and validates the Functions app's settings from `env` (app settings in Azure, `local.settings.json` locally).
 *
 * @throws SettingsError naming every bad or missing setting, including an unusable `AzureWebJobsStorage`.
 */
export function parseFunctionsSettings(env: Readonly<Record<string, string | undefined>>): FunctionsSettings {
  const values = presentValues(env, Object.keys(functionsSchema.properties));
  const problems = validateFunctions(values) ? [] : problemsOf(validateFunctions.errors ?? []);
  const storage = resolveAllServices(env, problems);
  const privateKey = values['LEASING_COMPANY_PRIVATE_KEY'];
  const publicKey = typeof privateKey === 'string' ? publicKeyOrProblem(privateKey, problems) : undefined;
  if (problems.length > 0 || storage === undefined || publicKey === undefined) throw new SettingsError(problems);
  const v = values as Record<keyof typeof functionsSchema.properties, never>;
  return Object.freeze({
    bigchainDbApiUrl: apiRoot(v.BIGCHAINDB_URL),
    bigchainDbRequestTimeoutMs: v.BIGCHAINDB_REQUEST_TIMEOUT_MS,
    leasingCompany: Object.freeze({ publicKey, privateKey: v.LEASING_COMPANY_PRIVATE_KEY }),
    webhookSecret: v.LEDGER_WEBHOOK_SECRET,
    checkpointContainer: v.RELAY_CHECKPOINT_CONTAINER,
    storage,
    applicationInsightsConnectionString: v.APPLICATIONINSIGHTS_CONNECTION_STRING,
    applicationInsightsAuthenticationString: v.APPLICATIONINSIGHTS_AUTHENTICATION_STRING,
  });
}

/** A process's settings by name: those it requires, and the default of each optional one (`undefined`: unset means off or derived). */
export interface SettingNames {
  readonly required: readonly string[];
  readonly optional: Readonly<Record<string, string | number | undefined>>;
}

/**
 * The relay's settings, as its schema declares them (infra/ is checked against these). Its storage connection settings
 * come on top: `<RELAY_STORAGE_CONNECTION>` and `<RELAY_STORAGE_CONNECTION>__*` (shared/storage-connection.ts).
 */
export const relaySettingNames: SettingNames = settingNamesOf(relaySchema);

/** The Functions app's settings, as its schema declares them; its storage connection `AzureWebJobsStorage(__*)` comes on top. */
export const functionsSettingNames: SettingNames = settingNamesOf(functionsSchema);

function settingNamesOf(schema: {
  readonly required: readonly string[];
  readonly properties: Readonly<Record<string, { readonly type: string; readonly default?: string | number }>>;
}): SettingNames {
  const optional = Object.entries(schema.properties).filter(([name]) => !schema.required.includes(name));
  return Object.freeze({
    required: Object.freeze([...schema.required]),
    optional: Object.freeze(Object.fromEntries(optional.map(([name, property]) => [name, property.default]))),
  });
}

function presentValues(
  env: Readonly<Record<string, string | undefined>>,
  names: readonly string[],
): Record<string, unknown> {
  return Object.fromEntries(
    names.filter((name) => env[name] !== undefined && env[name] !== '').map((name) => [name, env[name]]),
  );
}

function resolveAllServices(
  env: Readonly<Record<string, string | undefined>>,
  problems: { setting: string; problem: string }[],
): Record<StorageService, StorageConnection> | undefined {
  try {
    const resolve = (service: StorageService): StorageConnection =>
      resolveStorageConnection(env, 'AzureWebJobsStorage', service);
    return Object.freeze({ blob: resolve('blob'), queue: resolve('queue'), table: resolve('table') });
  } catch (error: unknown) {
    if (!(error instanceof StorageConnectionError)) throw error;
    problems.push({
      setting: error.setting,
      problem: 'is required: a connection string, or __accountName / __<service>ServiceUri',
    });
    return undefined;
  }
}

function publicKeyOrProblem(privateKey: string, problems: { setting: string; problem: string }[]): string | undefined {
  try {
    return publicKeyOfPrivateKey(privateKey);
  } catch {
    problems.push({
      setting: 'LEASING_COMPANY_PRIVATE_KEY',
      problem: 'must be a base58 Ed25519 private key (32-byte seed)',
    });
    return undefined;
  }
}

/** `http://host:9984`, `…/api/v1` and `…/api/v1/` all name the same API root. */
function apiRoot(url: string): string {
  const trimmed = url.replace(/\/+$/, '');
  return trimmed.endsWith('/api/v1') ? `${trimmed}/` : `${trimmed}/api/v1/`;
}

function problemsOf(errors: readonly ErrorObject[]): { setting: string; problem: string }[] {
  return errors.map((error) => {
    const setting =
      error.keyword === 'required' ? String(error.params['missingProperty']) : error.instancePath.slice(1);
    return { setting, problem: error.keyword === 'required' ? 'is required' : (error.message ?? 'is invalid') };
  });
}
