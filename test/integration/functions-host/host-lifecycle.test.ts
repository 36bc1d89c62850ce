import { connect } from 'node:net';
import { join } from 'node:path';

import { type LocalStorage, startLocalStorage } from '../../../dev/azurite/local-storage';
import { type RunningHost, startHost } from '../../../dev/functions-host/host';
import type { HostLogEntry } from '../../../dev/functions-host/host-log';

// Starting and stopping the fixture app. host.test.ts writes the fixture's local.settings.json
// while it runs, and may run in parallel with this file: nothing here depends on that file.

const appRoot = join(__dirname, '../../fixtures/functions-app');
// eslint-disable-next-line @typescript-eslint/no-require-imports -- the fixture is plain JavaScript
const probe = require(join(appRoot, 'src/probe.js')) as { record: Record<string, unknown>[] };

/** A setting no environment has: the host must add it while running and remove it on close. */
const PROBE_SETTING = 'HOST_LIFECYCLE_TEST_SETTING';

let storage: LocalStorage;
let host: RunningHost;
let closed = false;
const logs: HostLogEntry[] = [];
const storageBefore = process.env['AzureWebJobsStorage'];

/** Whether a TCP connection to the host's HTTP port is accepted, or the error code when it is not. */
function tryConnect(url: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname);
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

beforeAll(async () => {
  expect(process.env[PROBE_SETTING]).toBeUndefined();
  storage = await startLocalStorage();
  host = await startHost({
    appRoot,
    port: 0,
    settings: { AzureWebJobsStorage: storage.connectionString, [PROBE_SETTING]: 'set by the test' },
    log: (entry) => logs.push(entry),
  });
});

afterAll(async () => {
  /* eslint-disable @typescript-eslint/no-unnecessary-condition -- unset if beforeAll failed before assigning it */
  if (!closed) await host?.close();
  await storage?.close();
  /* eslint-enable @typescript-eslint/no-unnecessary-condition -- end of the teardown */
});

describe('while running', () => {
  test('has run the appStart hook and not the appTerminate hook', () => {
    expect(probe.record[0]).toEqual({ hook: 'appStart' });
    expect(probe.record.filter(({ hook }) => hook === 'appTerminate')).toEqual([]);
  });

  test('puts the settings in the environment', () => {
    expect(process.env[PROBE_SETTING]).toBe('set by the test');
    expect(process.env['AzureWebJobsStorage']).toBe(storage.connectionString);
  });

  test('answers HTTP on its port', async () => {
    expect(await tryConnect(host.url)).toBe('connected');
    expect((await fetch(`${host.url}/api/hello/Ada`)).status).toBe(200);
  });
});

describe('after close()', () => {
  beforeAll(async () => {
    await host.close();
    closed = true;
  });

  test('has run the appTerminate hook once, with the hookData the appStart hook set', () => {
    expect(probe.record.filter(({ hook }) => hook === 'appTerminate')).toEqual([
      { hook: 'appTerminate', startedAt: 'appStart' },
    ]);
    expect(probe.record.at(-1)).toEqual({ hook: 'appTerminate', startedAt: 'appStart' });
  });

  test('refuses connections on the HTTP port', async () => {
    expect(await tryConnect(host.url)).toBe('ECONNREFUSED');
  });

  test('restores the environment: a setting that was not there is gone again', () => {
    expect(process.env[PROBE_SETTING]).toBeUndefined();
    expect(PROBE_SETTING in process.env).toBe(false);
    expect(process.env['AzureWebJobsStorage']).toBe(storageBefore);
  });

  test('logs that it stopped, last', () => {
    expect(logs.at(-1)).toEqual({ level: 'info', msg: 'Host stopped' });
  });
});
