import { sep } from 'node:path';

import { createTelemetry, noopTelemetry, parseAuthenticationString } from '../../../shared/telemetry';

// The SDK itself is exercised in test/integration/shared/telemetry.test.ts; nothing here may load it.

const sdkLoaded = (): boolean =>
  Object.keys(require.cache).some((path) => path.includes(`${sep}node_modules${sep}applicationinsights${sep}`));

describe('createTelemetry', () => {
  test('without a connection string returns the no-op telemetry and never loads the SDK', async () => {
    const log = jest.fn();
    const telemetry = createTelemetry({
      connectionString: undefined,
      authenticationString: 'Authorization=AAD',
      cloudRole: 'relay-worker',
      log,
    });

    expect(telemetry).toBe(noopTelemetry);
    telemetry.trackEvent('X', { a: 1 });
    telemetry.trackMetric('M', 1);
    telemetry.trackException(new Error('boom'));
    await expect(telemetry.flush()).resolves.toBeUndefined();
    await expect(telemetry.shutdown()).resolves.toBeUndefined();
    expect(log).not.toHaveBeenCalled();
    expect(sdkLoaded()).toBe(false);
  });
});

describe('parseAuthenticationString', () => {
  test.each([
    ['ClientId=5e1f0c1a-0000-4000-8000-000000000001;Authorization=AAD', '5e1f0c1a-0000-4000-8000-000000000001'],
    [' authorization = aad ; clientid = abc ', 'abc'],
    ['Authorization=AAD', undefined],
    ['Authorization=AAD;ClientId=', undefined],
  ])('reads %j as client id %j', (authenticationString, clientId) => {
    expect(parseAuthenticationString(authenticationString)).toEqual({ clientId });
  });

  test.each(['ClientId=abc', 'Authorization=Basic;ClientId=abc', ''])(
    'rejects %j, which does not say Authorization=AAD',
    (authenticationString) => {
      expect(() => parseAuthenticationString(authenticationString)).toThrow(
        /^APPLICATIONINSIGHTS_AUTHENTICATION_STRING must contain Authorization=AAD$/,
      );
    },
  );
});
