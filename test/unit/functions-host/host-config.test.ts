import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';

import {
  HostConfigError,
  parseTimeSpanMs,
  readHostJson,
  readLocalSettings,
} from '../../../dev/functions-host/host-config';
import { thrown } from '../../helpers/thrown';

let appRoot: string;
let hostJsonFile: string;
let localSettingsFile: string;

beforeEach(() => {
  appRoot = mkdtempSync(join(tmpdir(), 'host-config-'));
  hostJsonFile = join(appRoot, 'host.json');
  localSettingsFile = join(appRoot, 'local.settings.json');
});

afterEach(() => {
  rmSync(appRoot, { recursive: true, force: true });
});

const writeJson = (file: string, content: unknown): void =>
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
const withQueues = (queues: Record<string, unknown>): unknown => ({ version: '2.0', extensions: { queues } });

/** What JSON.parse says about `text`, so that expected messages do not depend on the Node version. */
function jsonParseMessage(text: string): string {
  try {
    JSON.parse(text);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error(`${text} is valid JSON`);
}

/** The HostConfigError `fn` throws, as plain data for one exact comparison. */
function configError(fn: () => unknown): { name: string; code: string; file: string; key: string; message: string } {
  const error = thrown(fn);
  expect(error).toBeInstanceOf(HostConfigError);
  const { name, code, file, key, message } = error as HostConfigError;
  return { name, code, file, key, message };
}

const hostConfigError = (file: string, key: string, reason: string): ReturnType<typeof configError> => ({
  name: 'HostConfigError',
  code: 'HOST_CONFIG_INVALID',
  file,
  key,
  message: `${file}: ${key} ${reason}`,
});

describe('parseTimeSpanMs', () => {
  it.each([
    ['00:00:02', 2_000],
    ['1.02:03:04.5', ((26 * 60 + 3) * 60 + 4.5) * 1000],
    ['00:01', 60_000],
    ['00:00:00.100', 100],
    ['00:00:30', 30_000],
    [' 00:01:00 ', 60_000],
  ])('reads the TimeSpan %j as %d ms', (value, ms) => {
    expect(parseTimeSpanMs(value, 'host.json', 'extensions.queues.maxPollingInterval')).toBe(ms);
  });

  it.each(['', 'abc', '2', '-00:00:01', '00:00:02.12345678', '1:2:3:4', '00:00:02ms'])(
    'refuses %j, naming file and key',
    (value) => {
      expect(configError(() => parseTimeSpanMs(value, 'host.json', 'extensions.queues.visibilityTimeout'))).toEqual(
        hostConfigError(
          'host.json',
          'extensions.queues.visibilityTimeout',
          `must be a TimeSpan string such as "00:00:02" (hh:mm:ss), got ${JSON.stringify(value)}`,
        ),
      );
    },
  );

  it('refuses a bare number, saying the Functions host reads it as days', () => {
    expect(
      configError(() => parseTimeSpanMs(2000, 'app/host.json', 'extensions.queues.maxPollingInterval')).message,
    ).toBe(
      'app/host.json: extensions.queues.maxPollingInterval must be a TimeSpan string such as "00:00:02" (hh:mm:ss), got 2000; a bare number is read by the Functions host as days',
    );
  });
});

describe('readHostJson', () => {
  describe('AzureFunctionsJobHost__ settings', () => {
    it('override host.json values at their path, whole numbers read as numbers, as app settings do in Azure', () => {
      writeJson(hostJsonFile, withQueues({ maxDequeueCount: 10, visibilityTimeout: '00:00:30' }));

      const queues = readHostJson(appRoot, 'Development', {
        AzureFunctionsJobHost__extensions__queues__maxDequeueCount: '2',
        AzureFunctionsJobHost__extensions__queues__visibilityTimeout: '00:00:00.100',
        AzureFunctionsJobHost__extensions__http__routePrefix: 'v1',
        UNRELATED: 'x',
      });
      expect(queues).toMatchObject({ routePrefix: 'v1', queues: { maxDequeueCount: 2, visibilityTimeoutMs: 100 } });
    });

    it('are validated like host.json itself', () => {
      writeJson(hostJsonFile, { version: '2.0' });

      expect(() =>
        readHostJson(appRoot, 'Development', { AzureFunctionsJobHost__extensions__queues__maxPollingInterval: '5' }),
      ).toThrow(HostConfigError);
    });
  });

  describe('defaults', () => {
    it('uses the host defaults with 2 s polling in Development, the default environment', () => {
      writeJson(hostJsonFile, { version: '2.0' });

      const expected = {
        routePrefix: 'api',
        queues: {
          batchSize: 16,
          newBatchThreshold: 8 * availableParallelism(),
          maxPollingIntervalMs: 2_000,
          visibilityTimeoutMs: 0,
          maxDequeueCount: 5,
          messageEncoding: 'base64',
        },
      };
      expect(readHostJson(appRoot)).toStrictEqual(expected);
      expect(readHostJson(appRoot, 'Development')).toStrictEqual(expected);
    });

    it('polls at most 1 min apart by default in Production', () => {
      writeJson(hostJsonFile, { version: '2.0', extensions: { queues: {}, http: {} } });

      expect(readHostJson(appRoot, 'Production').queues.maxPollingIntervalMs).toBe(60_000);
    });

    it('derives the default newBatchThreshold from an explicit batchSize: floor(batchSize / 2) per core', () => {
      writeJson(hostJsonFile, withQueues({ batchSize: 5 }));

      expect(readHostJson(appRoot).queues.newBatchThreshold).toBe(2 * availableParallelism());
    });
  });

  describe('explicit values', () => {
    it('reads every queues key and the route prefix, in ms, whatever the environment', () => {
      writeJson(hostJsonFile, {
        version: '2.0',
        extensionBundle: { id: 'Microsoft.Azure.Functions.ExtensionBundle', version: '[4.*, 5.0.0)' },
        extensions: {
          http: { routePrefix: 'functions' },
          queues: {
            maxPollingInterval: '00:00:05',
            visibilityTimeout: '00:00:30',
            batchSize: 32,
            maxDequeueCount: 3,
            newBatchThreshold: 0,
            messageEncoding: 'none',
          },
        },
      });

      const expected = {
        routePrefix: 'functions',
        queues: {
          batchSize: 32,
          newBatchThreshold: 0,
          maxPollingIntervalMs: 5_000,
          visibilityTimeoutMs: 30_000,
          maxDequeueCount: 3,
          messageEncoding: 'none',
        },
      };
      expect(readHostJson(appRoot, 'Development')).toStrictEqual(expected);
      expect(readHostJson(appRoot, 'Production')).toStrictEqual(expected);
    });

    it('allows an empty routePrefix, for routes at the root', () => {
      writeJson(hostJsonFile, { version: '2.0', extensions: { http: { routePrefix: '' } } });

      expect(readHostJson(appRoot).routePrefix).toBe('');
    });

    it('accepts the smallest maxPollingInterval, 00:00:00.100', () => {
      writeJson(hostJsonFile, withQueues({ maxPollingInterval: '00:00:00.100' }));

      expect(readHostJson(appRoot).queues.maxPollingIntervalMs).toBe(100);
    });
  });

  describe('invalid files', () => {
    it.each([
      [{ version: '1.0' }, 'must be "2.0", got "1.0"'],
      [{ version: 2 }, 'must be "2.0", got 2'],
      [{}, 'must be "2.0", got undefined'],
    ])('refuses %j for its version', (json, reason) => {
      writeJson(hostJsonFile, json);

      expect(configError(() => readHostJson(appRoot))).toEqual(hostConfigError(hostJsonFile, 'version', reason));
    });

    it.each([[0], [33], [1.5], ['16'], [null]])('refuses batchSize %j', (batchSize) => {
      writeJson(hostJsonFile, withQueues({ batchSize }));

      expect(configError(() => readHostJson(appRoot))).toEqual(
        hostConfigError(
          hostJsonFile,
          'extensions.queues.batchSize',
          `must be a whole number from 1 to 32, got ${JSON.stringify(batchSize)}`,
        ),
      );
    });

    it('refuses a maxDequeueCount below 1', () => {
      writeJson(hostJsonFile, withQueues({ maxDequeueCount: 0 }));

      expect(configError(() => readHostJson(appRoot))).toEqual(
        hostConfigError(
          hostJsonFile,
          'extensions.queues.maxDequeueCount',
          'must be a whole number from 1 to 1000, got 0',
        ),
      );
    });

    it('refuses a maxPollingInterval below 100 ms', () => {
      writeJson(hostJsonFile, withQueues({ maxPollingInterval: '00:00:00.050' }));

      expect(configError(() => readHostJson(appRoot))).toEqual(
        hostConfigError(
          hostJsonFile,
          'extensions.queues.maxPollingInterval',
          'must be at least 00:00:00.100, got 50 ms',
        ),
      );
    });

    it('refuses a maxPollingInterval in v1 milliseconds, which the host would read as days', () => {
      writeJson(hostJsonFile, withQueues({ maxPollingInterval: 2000 }));

      expect(configError(() => readHostJson(appRoot))).toEqual(
        hostConfigError(
          hostJsonFile,
          'extensions.queues.maxPollingInterval',
          'must be a TimeSpan string such as "00:00:02" (hh:mm:ss), got 2000; a bare number is read by the Functions host as days',
        ),
      );
    });

    it('refuses a messageEncoding other than base64 or none', () => {
      writeJson(hostJsonFile, withQueues({ messageEncoding: 'utf8' }));

      expect(configError(() => readHostJson(appRoot))).toEqual(
        hostConfigError(hostJsonFile, 'extensions.queues.messageEncoding', 'must be "base64" or "none", got "utf8"'),
      );
    });

    it('refuses a routePrefix that is not a string', () => {
      writeJson(hostJsonFile, { version: '2.0', extensions: { http: { routePrefix: 5 } } });

      expect(configError(() => readHostJson(appRoot))).toEqual(
        hostConfigError(hostJsonFile, 'extensions.http.routePrefix', 'must be a string'),
      );
    });

    it('refuses extensions that are not an object', () => {
      writeJson(hostJsonFile, { version: '2.0', extensions: [] });

      expect(configError(() => readHostJson(appRoot))).toEqual(
        hostConfigError(hostJsonFile, 'extensions', 'must be an object'),
      );
    });

    it('refuses malformed JSON with the parser message', () => {
      const text = '{ "version": "2.0", }';
      writeJson(hostJsonFile, text);

      expect(configError(() => readHostJson(appRoot))).toEqual(
        hostConfigError(hostJsonFile, '(document)', `cannot be read: ${jsonParseMessage(text)}`),
      );
    });

    it('refuses a document that is not an object', () => {
      writeJson(hostJsonFile, '["2.0"]');

      expect(configError(() => readHostJson(appRoot))).toEqual(
        hostConfigError(hostJsonFile, '(document)', 'must be an object'),
      );
    });

    it('refuses a missing host.json, naming the file', () => {
      expect(configError(() => readHostJson(appRoot))).toEqual(
        hostConfigError(
          hostJsonFile,
          '(document)',
          `cannot be read: ENOENT: no such file or directory, open '${hostJsonFile}'`,
        ),
      );
    });
  });
});

describe('readLocalSettings', () => {
  it('returns no settings when the file is missing', () => {
    expect(readLocalSettings(appRoot)).toStrictEqual({});
  });

  it('returns the Values strings and ignores Host and ConnectionStrings', () => {
    writeJson(localSettingsFile, {
      IsEncrypted: false,
      Values: {
        AzureWebJobsStorage: 'UseDevelopmentStorage=true',
        FUNCTIONS_WORKER_RUNTIME: 'node',
        AzureWebJobsStorage__queueServiceUri: 'https://acct.queue.core.windows.net',
        'AzureWebJobs.nightly.Disabled': 'true',
      },
      Host: { LocalHttpPort: 7071, CORS: '*' },
      ConnectionStrings: { Ledger: 'Server=.' },
    });

    expect(readLocalSettings(appRoot)).toStrictEqual({
      AzureWebJobsStorage: 'UseDevelopmentStorage=true',
      FUNCTIONS_WORKER_RUNTIME: 'node',
      AzureWebJobsStorage__queueServiceUri: 'https://acct.queue.core.windows.net',
      'AzureWebJobs.nightly.Disabled': 'true',
    });
  });

  it('returns no settings when Values is absent', () => {
    writeJson(localSettingsFile, { IsEncrypted: false });

    expect(readLocalSettings(appRoot)).toStrictEqual({});
  });

  it.each([
    [7071, '7071'],
    [true, 'true'],
    [{ nested: 'x' }, '{"nested":"x"}'],
    [['a'], '["a"]'],
    [null, 'null'],
  ])('refuses the non-string value %j, naming Values.<key>', (value, shown) => {
    writeJson(localSettingsFile, { Values: { FUNCTIONS_WORKER_RUNTIME: 'node', Port: value } });

    expect(configError(() => readLocalSettings(appRoot))).toEqual(
      hostConfigError(localSettingsFile, 'Values.Port', `must be a string, got ${shown}`),
    );
  });

  it('refuses an encrypted file', () => {
    writeJson(localSettingsFile, { IsEncrypted: true, Values: { AzureWebJobsStorage: 'c2VjcmV0' } });

    expect(configError(() => readLocalSettings(appRoot))).toEqual(
      hostConfigError(localSettingsFile, 'IsEncrypted', 'is true; the local host cannot decrypt settings'),
    );
  });

  it('refuses malformed JSON, naming the file', () => {
    const text = '{ "Values": { "A": "b" }';
    writeJson(localSettingsFile, text);

    expect(configError(() => readLocalSettings(appRoot))).toEqual(
      hostConfigError(localSettingsFile, '(document)', `is not valid JSON: ${jsonParseMessage(text)}`),
    );
  });
});
