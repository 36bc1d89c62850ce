import { once } from 'node:events';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';

import { type LocalStorage, startLocalStorage } from '../../../dev/azurite/local-storage';
import { startHost } from '../../../dev/functions-host/host';

// A host whose port is taken fails to start, and leaves nothing behind: no trigger fired or polling, the app's
// terminate hooks run after its start hooks, the environment as it was. Before, its queue listeners and timers
// were started ahead of the port and kept polling, which kept the test process alive.

const appRoot = join(__dirname, '../../fixtures/functions-app');
// eslint-disable-next-line @typescript-eslint/no-require-imports -- the fixture is plain JavaScript
const probe = require(join(appRoot, 'src/probe.js')) as { record: Record<string, unknown>[] };
const PROBE_SETTING = 'HOST_START_FAILURE_TEST_SETTING';

let storage: LocalStorage;
let blocker: Server;
let port: number;

beforeAll(async () => {
  storage = await startLocalStorage();
  blocker = createServer().listen(0, '127.0.0.1');
  await once(blocker, 'listening');
  port = (blocker.address() as { port: number }).port;
});

afterAll(async () => {
  blocker.close();
  await storage.close();
});

test('a taken port rejects the start with EADDRINUSE, after the app hooks ran in pairs and before any trigger fired', async () => {
  const start = startHost({
    appRoot,
    port,
    settings: { AzureWebJobsStorage: storage.connectionString, [PROBE_SETTING]: 'set' },
    log: () => undefined,
  });

  await expect(start).rejects.toMatchObject({ code: 'EADDRINUSE' });
  // The fixture's timer runs on startup and its queue functions would poll: neither got as far as an invocation.
  expect(probe.record).toEqual([{ hook: 'appStart' }, { hook: 'appTerminate', startedAt: 'appStart' }]);
  expect(PROBE_SETTING in process.env).toBe(false);
});
