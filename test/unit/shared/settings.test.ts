import { parseFunctionsSettings, parseRelaySettings, SettingsError } from '../../../shared/settings';
import { generateKeyPair } from '../../../shared/transaction/signing';

describe('parseRelaySettings', () => {
  test('fills every default and normalizes the API root', () => {
    expect(parseRelaySettings({ BIGCHAINDB_URL: 'http://127.0.0.1:9984', RELAY_INSTANCE_ID: 'relay-a' })).toEqual({
      bigchainDbApiUrl: 'http://127.0.0.1:9984/api/v1/',
      streamUrl: undefined,
      storageConnection: 'AzureWebJobsStorage',
      queueName: 'ledger-events',
      checkpointContainer: 'relay-checkpoints',
      startHeight: 0,
      sendConcurrency: 32,
      maxBufferedEvents: 10_000,
      backfillBatchBlocks: 100,
      checkpointIntervalMs: 1000,
      pingIntervalMs: 15_000,
      idleProbeMs: 10_000,
      reconnectMaxDelayMs: 30_000,
      leaseSeconds: 30,
      instanceId: 'relay-a',
      applicationInsightsConnectionString: undefined,
      applicationInsightsAuthenticationString: undefined,
      shutdownFile: undefined,
    });
  });

  test('reads the Application Insights authentication string, which must say Authorization=AAD', () => {
    const authenticationString = 'ClientId=5e1f0c1a-0000-4000-8000-000000000001;Authorization=AAD';
    const settings = parseRelaySettings({
      BIGCHAINDB_URL: 'http://node',
      APPLICATIONINSIGHTS_AUTHENTICATION_STRING: authenticationString,
    });
    expect(settings.applicationInsightsAuthenticationString).toBe(authenticationString);
    expect(() =>
      parseRelaySettings({ BIGCHAINDB_URL: 'http://node', APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=x' }),
    ).toThrow(/^invalid settings: APPLICATIONINSIGHTS_AUTHENTICATION_STRING must match pattern /);
  });

  test.each(['http://node:9984/api/v1', 'http://node:9984/api/v1/', 'http://node:9984/'])(
    'reads %s as the API root',
    (url) => {
      expect(parseRelaySettings({ BIGCHAINDB_URL: url }).bigchainDbApiUrl).toBe('http://node:9984/api/v1/');
    },
  );

  test('converts numbers given as strings, as app settings always are', () => {
    const settings = parseRelaySettings({
      BIGCHAINDB_URL: 'https://node',
      RELAY_SEND_CONCURRENCY: '8',
      RELAY_START_HEIGHT: '120',
    });
    expect([settings.sendConcurrency, settings.startHeight]).toEqual([8, 120]);
  });

  test('names every bad or missing setting in one error, without their values', () => {
    let error: unknown;
    try {
      parseRelaySettings({
        RELAY_SEND_CONCURRENCY: 'lots',
        RELAY_LEASE_SECONDS: '5',
        LEDGER_EVENTS_QUEUE: 'Bad_Name',
        SECRET_LOOKING: 'x',
      });
    } catch (thrown) {
      error = thrown;
    }

    expect(error).toBeInstanceOf(SettingsError);
    expect((error as SettingsError).problems).toEqual([
      { setting: 'BIGCHAINDB_URL', problem: 'is required' },
      { setting: 'LEDGER_EVENTS_QUEUE', problem: 'must match pattern "^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$"' },
      { setting: 'RELAY_SEND_CONCURRENCY', problem: 'must be integer' },
      { setting: 'RELAY_LEASE_SECONDS', problem: 'must be >= 15' },
    ]);
    expect((error as Error).message).not.toContain('lots');
  });

  test('returns a frozen object', () => {
    expect(Object.isFrozen(parseRelaySettings({ BIGCHAINDB_URL: 'http://node' }))).toBe(true);
  });
});

describe('parseFunctionsSettings', () => {
  const company = generateKeyPair();
  const valid = {
    AzureWebJobsStorage: 'UseDevelopmentStorage=true',
    BIGCHAINDB_URL: 'http://127.0.0.1:9984/',
    LEASING_COMPANY_PRIVATE_KEY: company.privateKey,
    LEDGER_WEBHOOK_SECRET: 'a-webhook-secret-of-32-characters!',
  };

  test('derives the company public key, normalizes the API root and fills defaults', () => {
    const settings = parseFunctionsSettings(valid);
    expect(settings).toMatchObject({
      bigchainDbApiUrl: 'http://127.0.0.1:9984/api/v1/',
      bigchainDbRequestTimeoutMs: 10_000,
      leasingCompany: company,
      webhookSecret: valid.LEDGER_WEBHOOK_SECRET,
      checkpointContainer: 'relay-checkpoints',
      applicationInsightsConnectionString: undefined,
    });
    expect(settings.storage.queue).toEqual({
      kind: 'connectionString',
      connectionString: 'UseDevelopmentStorage=true',
    });
    expect(Object.isFrozen(settings)).toBe(true);
  });

  test('resolves an identity-based AzureWebJobsStorage per service', () => {
    const settings = parseFunctionsSettings({
      ...valid,
      AzureWebJobsStorage: undefined,
      AzureWebJobsStorage__accountName: 'leasing',
    });
    expect(settings.storage.table).toMatchObject({
      kind: 'identity',
      serviceUri: 'https://leasing.table.core.windows.net',
    });
    expect(settings.storage.blob).toMatchObject({
      kind: 'identity',
      serviceUri: 'https://leasing.blob.core.windows.net',
    });
  });

  test('names every missing or bad setting in one error, never a value', () => {
    const attempt = (): unknown =>
      parseFunctionsSettings({ BIGCHAINDB_URL: 'ftp://node', LEDGER_WEBHOOK_SECRET: 'short' });
    expect(attempt).toThrow(SettingsError);
    expect(attempt).toThrow(
      'invalid settings: LEASING_COMPANY_PRIVATE_KEY is required; BIGCHAINDB_URL must match pattern "^https?://"; ' +
        'LEDGER_WEBHOOK_SECRET must NOT have fewer than 32 characters; AzureWebJobsStorage is required: a connection string, or __accountName / __<service>ServiceUri',
    );
  });

  test('refuses a private key that is base58 but not a 32-byte seed, without echoing it', () => {
    const attempt = (): unknown => parseFunctionsSettings({ ...valid, LEASING_COMPANY_PRIVATE_KEY: '2'.repeat(40) });
    expect(attempt).toThrow(
      'invalid settings: LEASING_COMPANY_PRIVATE_KEY must be a base58 Ed25519 private key (32-byte seed)',
    );
  });
});
