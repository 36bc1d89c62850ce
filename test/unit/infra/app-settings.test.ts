import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { ManagedIdentityCredential } from '@azure/identity';

import { DEPLOYED_NODE_OPTIONS } from '../../../bench/relay/relay-process';
import {
  functionsSettingNames,
  parseFunctionsSettings,
  parseRelaySettings,
  relaySettingNames,
  type SettingNames,
} from '../../../shared/settings';
import { resolveStorageConnection, type StorageService } from '../../../shared/storage-connection';
import { objectVariable } from '../../helpers/bicep-source';

// Each app's settings in infra/ against what its code reads. The names read are recorded by running the code's own
// settings parser (shared/settings.ts) and storage connection resolver (shared/storage-connection.ts) over the Bicep
// settings, not listed by hand; so a setting added to the code and forgotten in infra/ (or the reverse) fails here.

/** Settings a service's code reads but infra/ leaves unset on purpose, each with the reason (README "Deploy to Azure" repeats them). */
const DOCUMENTED_OPTIONAL: Readonly<Record<'functions' | 'relay', Readonly<Record<string, string>>>> = {
  functions: {
    AzureWebJobsStorage:
      'a connection string would carry the account key; the identity-based AzureWebJobsStorage__* settings are set instead',
    BIGCHAINDB_REQUEST_TIMEOUT_MS: 'the 10 s default budget per BigchainDB request suits a network in the same region',
  },
  relay: {
    AzureWebJobsStorage:
      'a connection string would carry the account key; the identity-based AzureWebJobsStorage__* settings are set instead',
    RELAY_STORAGE_CONNECTION: 'its default, AzureWebJobsStorage, is the connection the relay is given',
    LEDGER_EVENTS_QUEUE: 'must stay ledger-events, the queue the Functions trigger names in its code',
    RELAY_START_HEIGHT:
      'with no checkpoint yet the relay starts at block 0, so the insurer sees the whole chain once; a stored checkpoint always wins',
    RELAY_SEND_CONCURRENCY: "tuning; the default suits (README, the relay's settings)",
    RELAY_MAX_BUFFERED_EVENTS: "tuning; the default suits (README, the relay's settings)",
    RELAY_BACKFILL_BATCH_BLOCKS: "tuning; the default suits (README, the relay's settings)",
    RELAY_CHECKPOINT_INTERVAL_MS: "tuning; the default suits (README, the relay's settings)",
    RELAY_PING_INTERVAL_MS: "tuning; the default suits (README, the relay's settings)",
    RELAY_IDLE_PROBE_MS: "tuning; the default suits (README, the relay's settings)",
    RELAY_RECONNECT_MAX_DELAY_MS: "tuning; the default suits (README, the relay's settings)",
    RELAY_LEASE_SECONDS: "tuning; the default suits (README, the relay's settings)",
    RELAY_INSTANCE_ID: 'host name and process id tell the instances apart',
    WEBJOBS_SHUTDOWN_FILE: 'App Service sets it for every WebJob run',
  },
};

/** Settings the platform (not the app's code) reads, allowed in infra/ per service. */
const PLATFORM_SETTINGS: Readonly<Record<'functions' | 'relay', readonly RegExp[]>> = {
  // The Functions host: its storage, host.json overrides, Application Insights.
  functions: [/^AzureWebJobsStorage__/, /^AzureFunctionsJobHost__/, /^APPLICATIONINSIGHTS_/],
  // App Service and its WebJobs (Kudu): build switches, site settings, WebJobs settings, Application Insights; Node.
  relay: [/^SCM_/, /^WEBSITE_/, /^WEBJOBS_/, /^APPLICATIONINSIGHTS_/, /^NODE_OPTIONS$/],
};

/** Settings a Flex Consumption app must not have: the plan takes them from functionAppConfig or does not support them (azure-functions.md §4). */
const FLEX_UNSUPPORTED = [
  'FUNCTIONS_WORKER_RUNTIME',
  'FUNCTIONS_EXTENSION_VERSION',
  'WEBSITE_RUN_FROM_PACKAGE',
  'WEBSITE_CONTENTAZUREFILECONNECTIONSTRING',
  'WEBSITE_CONTENTSHARE',
  'WEBSITE_NODE_DEFAULT_VERSION',
  'SCM_DO_BUILD_DURING_DEPLOYMENT',
  'ENABLE_ORYX_BUILD',
  'WEBSITE_TIME_ZONE',
  'TZ',
];

/** A service's settings in infra/, with literal Bicep strings unquoted and expressions kept as written. */
function bicepSettings(file: string): Map<string, string> {
  return new Map(
    [...objectVariable(file, 'appSettings')].map(([name, raw]) => [
      name,
      /^'[^'$]*'$/.test(raw) ? raw.slice(1, -1) : raw,
    ]),
  );
}

/** An environment holding `settings` that records every name read from it. */
function recordingEnvironment(settings: Map<string, string>): {
  env: Record<string, string | undefined>;
  read: Set<string>;
} {
  const read = new Set<string>();
  const env = new Proxy(
    {},
    {
      get: (_target, name) => {
        if (typeof name !== 'string') return undefined;
        read.add(name);
        return settings.get(name);
      },
    },
  );
  return { env, read };
}

interface Service {
  readonly name: 'functions' | 'relay';
  readonly file: string;
  readonly names: SettingNames;
  /** Runs the service's settings parsing and storage resolution over `env`; returns the storage connections resolved. */
  readonly readSettings: (env: Record<string, string | undefined>) => ReturnType<typeof resolveStorageConnection>[];
}

const ignoringSettingsErrors = (parse: () => void): void => {
  try {
    parse();
  } catch (error) {
    // Bicep expressions (a Key Vault reference, `bigchainDbUrl`) are not valid values; only the names read matter here.
    if (!(error instanceof Error && error.name === 'SettingsError')) throw error;
  }
};

const SERVICES: readonly Service[] = [
  {
    name: 'functions',
    file: 'app/functions.bicep',
    names: functionsSettingNames,
    readSettings: (env) => {
      ignoringSettingsErrors(() => parseFunctionsSettings(env));
      return (['blob', 'queue', 'table'] as const).map((service) =>
        resolveStorageConnection(env, 'AzureWebJobsStorage', service),
      );
    },
  },
  {
    name: 'relay',
    file: 'app/relay.bicep',
    names: relaySettingNames,
    readSettings: (env) => {
      ignoringSettingsErrors(() => parseRelaySettings(env));
      const connection =
        env['RELAY_STORAGE_CONNECTION'] ?? String(relaySettingNames.optional['RELAY_STORAGE_CONNECTION']);
      // relay-worker/main.ts resolves the queue and the checkpoint container's blob service, and nothing else.
      const services: StorageService[] = ['queue', 'blob'];
      return services.map((service) => resolveStorageConnection(env, connection, service));
    },
  },
];

describe.each(SERVICES)('the $name app settings in infra/$file', (service) => {
  const settings = bicepSettings(service.file);
  const { env, read } = recordingEnvironment(settings);
  const connections = service.readSettings(env);
  const optional = DOCUMENTED_OPTIONAL[service.name];

  it('set every setting the code reads, or leave it unset for a documented reason', () => {
    expect([...read].filter((name) => !settings.has(name) && optional[name] === undefined).sort()).toEqual([]);
  });

  it('set every required setting', () => {
    expect(service.names.required.filter((name) => !settings.has(name))).toEqual([]);
  });

  it('leave unset only settings the code reads and treats as optional', () => {
    expect(
      Object.keys(optional).filter(
        (name) => !read.has(name) || service.names.required.includes(name) || settings.has(name),
      ),
    ).toEqual([]);
  });

  it('hold nothing the code does not read, apart from settings the platform reads', () => {
    const unread = [...settings.keys()].filter(
      (name) => !read.has(name) && !PLATFORM_SETTINGS[service.name].some((pattern) => pattern.test(name)),
    );
    expect(unread).toEqual([]);
  });

  it('reach storage as the user-assigned identity, never with a connection string', () => {
    for (const connection of connections) {
      expect(connection.kind).toBe('identity');
      if (connection.kind === 'identity') expect(connection.credential).toBeInstanceOf(ManagedIdentityCredential);
    }
    expect(settings.get('AzureWebJobsStorage__credential')).toBe('managedidentity');
    expect(settings.get('AzureWebJobsStorage__clientId')).toBe('identityClientId');
  });

  it('send telemetry with an Entra ID token of that identity (Application Insights has local authentication off)', () => {
    expect(settings.get('APPLICATIONINSIGHTS_AUTHENTICATION_STRING')).toBe(
      "'ClientId=${identityClientId};Authorization=AAD'",
    );
  });
});

describe('the relay app settings', () => {
  it('bound the heap with the Node options the relay benchmark measures its memory under', () => {
    expect(bicepSettings('app/relay.bicep').get('NODE_OPTIONS')).toBe(DEPLOYED_NODE_OPTIONS);
    expect(DEPLOYED_NODE_OPTIONS).toMatch(/^--max-old-space-size=\d+$/);
  });
});

describe('the Functions app settings', () => {
  const settings = bicepSettings('app/functions.bicep');

  it('include none that Flex Consumption rejects or takes from functionAppConfig', () => {
    expect(FLEX_UNSUPPORTED.filter((name) => settings.has(name))).toEqual([]);
  });

  it('take the signing key and the webhook secret from Key Vault by reference, never as values', () => {
    expect(settings.get('LEASING_COMPANY_PRIVATE_KEY')).toBe(
      "'@Microsoft.KeyVault(SecretUri=${keyVaultUri}secrets/${signingKeySecretName}/)'",
    );
    expect(settings.get('LEDGER_WEBHOOK_SECRET')).toBe(
      "'@Microsoft.KeyVault(SecretUri=${keyVaultUri}secrets/${webhookSecretName}/)'",
    );
  });
});

describe('README "Deploy to Azure"', () => {
  const readme = readFileSync(join(__dirname, '../../../README.md'), 'utf8');
  const start = readme.indexOf('\n## Deploy to Azure\n');
  const end = readme.indexOf('\n## ', start + 1);
  const section = start === -1 ? '' : readme.slice(start, end === -1 ? undefined : end);

  it.each(Object.entries(DOCUMENTED_OPTIONAL))(
    'names each setting the %s app leaves unset on purpose',
    (_, optional) => {
      expect(section.length).toBeGreaterThan(0);
      expect(Object.keys(optional).filter((name) => !section.includes(`\`${name}\``))).toEqual([]);
    },
  );
});
