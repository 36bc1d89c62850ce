import { parseRelaySettings, SettingsError } from '../../../shared/settings';

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
      pingIntervalMs: 15_000,
      idleProbeMs: 10_000,
      reconnectMaxDelayMs: 30_000,
      leaseSeconds: 30,
      instanceId: 'relay-a',
      applicationInsightsConnectionString: undefined,
      shutdownFile: undefined,
    });
  });

  test.each(['http://node:9984/api/v1', 'http://node:9984/api/v1/', 'http://node:9984/'])('reads %s as the API root', (url) => {
    expect(parseRelaySettings({ BIGCHAINDB_URL: url }).bigchainDbApiUrl).toBe('http://node:9984/api/v1/');
  });

  test('converts numbers given as strings, as app settings always are', () => {
    const settings = parseRelaySettings({ BIGCHAINDB_URL: 'https://node', RELAY_SEND_CONCURRENCY: '8', RELAY_START_HEIGHT: '120' });
    expect([settings.sendConcurrency, settings.startHeight]).toEqual([8, 120]);
  });

  test('names every bad or missing setting in one error, without their values', () => {
    let error: unknown;
    try {
      parseRelaySettings({ RELAY_SEND_CONCURRENCY: 'lots', RELAY_LEASE_SECONDS: '5', LEDGER_EVENTS_QUEUE: 'Bad_Name', SECRET_LOOKING: 'x' });
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
