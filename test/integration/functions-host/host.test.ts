import { once } from 'node:events';
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { TableClient } from '@azure/data-tables';
import { BlobServiceClient } from '@azure/storage-blob';
import { QueueServiceClient } from '@azure/storage-queue';

import { type LocalStorage, startLocalStorage } from '../../../dev/azurite/local-storage';
import { type RunningHost, startHost } from '../../../dev/functions-host/host';
import { recordHostLog } from '../../helpers/host-log-recorder';

// The fixture app, run by the local host against in-process Azurite, through the real
// @azure/functions library.

const appRoot = join(__dirname, '../../fixtures/functions-app');
const localSettings = join(appRoot, 'local.settings.json');
// eslint-disable-next-line @typescript-eslint/no-require-imports -- the fixture is plain JavaScript
const probe = require(join(appRoot, 'src/probe.js')) as {
  events: NodeJS.EventEmitter;
  record: Record<string, unknown>[];
};

let storage: LocalStorage;
let host: RunningHost;
let queues: QueueServiceClient;
const hostLog = recordHostLog();
const logs = hostLog.entries;
const logged = hostLog.logged;

const toBase64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64');

beforeAll(async () => {
  // Written here, not committed: a local.settings.json in the repository would look like a leaked one.
  // Written to a temporary name and renamed, so that a test loading the same app in parallel never
  // reads half a file.
  writeFileSync(
    `${localSettings}.tmp`,
    JSON.stringify({
      IsEncrypted: false,
      Values: {
        FUNCTIONS_WORKER_RUNTIME: 'node',
        AzureWebJobsStorage: 'UseDevelopmentStorage=true',
        FIXTURE_GREETING: 'hello from local.settings.json',
        'AzureWebJobs.disabledFunction.Disabled': 'true',
      },
    }),
  );
  renameSync(`${localSettings}.tmp`, localSettings);
  storage = await startLocalStorage();
  queues = QueueServiceClient.fromConnectionString(storage.connectionString);
  // Trigger queues exist before the app runs (infra creates them); the host never creates them.
  for (const name of ['flaky-items', 'doomed-items', 'work-items']) await queues.createQueue(name);
  const timerFired = once(probe.events, 'timer');
  host = await startHost({
    appRoot,
    port: 0,
    settings: { AzureWebJobsStorage: storage.connectionString },
    keys: { master: 'master-secret', host: { default: 'host-secret' }, functions: {} },
    log: hostLog.log,
  });
  await timerFired;
});

afterAll(async () => {
  /* eslint-disable @typescript-eslint/no-unnecessary-condition -- unset if beforeAll failed before assigning it */
  await host?.close();
  await storage?.close();
  /* eslint-enable @typescript-eslint/no-unnecessary-condition -- end of the teardown */
  rmSync(localSettings, { force: true });
});

describe('start-up', () => {
  test('lists every enabled function with its trigger and URL', () => {
    expect(host.functions.map(({ name, trigger }) => `${name}:${trigger}`).sort()).toEqual([
      'adminOnly:httpTrigger',
      'binary:httpTrigger',
      'broken:httpTrigger',
      'doomed:queueTrigger',
      'enqueue:httpTrigger',
      'flaky:queueTrigger',
      'hello:httpTrigger',
      'items:httpTrigger',
      'nightly:timerTrigger',
      'work:queueTrigger',
    ]);
    expect(host.functions.find(({ name }) => name === 'hello')).toEqual({
      name: 'hello',
      trigger: 'httpTrigger',
      methods: ['GET'],
      url: `${host.url}/api/hello/{name:alpha}`,
    });
  });

  test('runs appStart hooks before anything, and a runOnStartup timer once', () => {
    expect(probe.record[0]).toEqual({ hook: 'appStart' });
    expect(
      logs.some(({ msg }) =>
        /^Executed 'Functions\.nightly' \(Succeeded, Id=[0-9a-f-]{36}, Duration=\d+ms\)$/.test(msg),
      ),
    ).toBe(true);
  });
});

describe('HTTP triggers', () => {
  test('deliver route parameters and see local.settings.json values in the environment', async () => {
    const response = await fetch(`${host.url}/api/hello/Ada`);

    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(await response.json()).toEqual({ greeting: 'hello from local.settings.json', name: 'Ada' });
  });

  test('answer 404 when a route constraint does not match', async () => {
    expect((await fetch(`${host.url}/api/hello/Ada42`)).status).toBe(404);
  });

  test('answer 405 for a method the function does not take', async () => {
    const response = await fetch(`${host.url}/api/hello/Ada`, { method: 'DELETE' });
    expect(response.status).toBe(405);
  });

  test('refuse a function-level route without a key, and take the host key as header or code', async () => {
    const url = `${host.url}/api/items/7/blue?tag=x`;
    expect((await fetch(url)).status).toBe(401);
    expect((await fetch(url, { headers: { 'x-functions-key': 'wrong' } })).status).toBe(401);

    const byHeader = await fetch(url, { headers: { 'x-functions-key': 'host-secret' } });
    const byQuery = await fetch(`${url}&code=master-secret`);

    expect(byHeader.status).toBe(200);
    expect(await byHeader.json()).toEqual({ id: 7, label: 'blue', tag: 'x', body: null });
    expect(byQuery.status).toBe(200);
  });

  test('pass a JSON body to request.json() and write status, headers and cookies as returned', async () => {
    const response = await fetch(`${host.url}/api/items/12`, {
      method: 'PUT',
      headers: { 'x-functions-key': 'host-secret', 'content-type': 'application/json' },
      body: JSON.stringify({ colour: 'red' }),
    });

    expect(response.status).toBe(201);
    expect(response.headers.get('x-item-id')).toBe('12');
    // ASP.NET Core's Set-Cookie format, which the real host writes.
    expect(response.headers.get('set-cookie')).toBe('last-item=12; path=/api; httponly');
    expect(await response.json()).toEqual({ id: 12, label: null, tag: null, body: { colour: 'red' } });
  });

  test('pass binary bodies through byte for byte', async () => {
    const bytes = Buffer.from([0, 1, 2, 250, 255, 13, 10]);
    const response = await fetch(`${host.url}/api/binary`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: bytes,
    });

    expect(Buffer.from(await response.arrayBuffer())).toEqual(Buffer.from(bytes).reverse());
  });

  test('keep admin routes for the master key', async () => {
    expect((await fetch(`${host.url}/api/admin/ping`, { headers: { 'x-functions-key': 'host-secret' } })).status).toBe(
      401,
    );
    expect(await (await fetch(`${host.url}/api/admin/ping?code=master-secret`)).text()).toBe('pong');
  });

  test('answer 500 when the function throws, and log the failure', async () => {
    expect((await fetch(`${host.url}/api/broken`)).status).toBe(500);
    expect(
      logs.some(
        ({ level, msg }) =>
          level === 'error' && /^Executed 'Functions\.broken' \(Failed, .*broken on purpose$/.test(msg),
      ),
    ).toBe(true);
  });

  test('do not serve a function disabled in settings', async () => {
    expect((await fetch(`${host.url}/api/disabledFunction`)).status).toBe(404);
  });
});

describe('hooks', () => {
  test('run pre- and postInvocation around each invocation, sharing hookData between them', async () => {
    await fetch(`${host.url}/api/hello/Grace`);

    const around = probe.record.filter((entry) => entry['functionName'] === 'hello').slice(-2);
    expect(around).toEqual([
      { hook: 'preInvocation', functionName: 'hello' },
      { hook: 'postInvocation', functionName: 'hello', sawPre: 'hello', failed: false },
    ]);
  });
});

describe('queue triggers', () => {
  test('retry a failing message with dequeue counts 1, 2, 3 until it succeeds', async () => {
    const calls: { dequeueCount: number }[] = [];
    const third = new Promise<void>((resolve) =>
      probe.events.on('flaky', (call: { dequeueCount: number; message: { run: string } }) => {
        if (call.message.run !== 'retry') return;
        calls.push(call);
        if (call.dequeueCount === 3) resolve();
      }),
    );
    await queues.getQueueClient('flaky-items').sendMessage(toBase64({ run: 'retry', succeedOn: 3 }));

    await third;

    expect(calls.map(({ dequeueCount }) => dequeueCount)).toEqual([1, 2, 3]);
  });

  test('move a message to the poison queue after maxDequeueCount failures, and nowhere else', async () => {
    const poison = queues.getQueueClient('doomed-items-poison');
    const counts: number[] = [];
    probe.events.on('doomed', ({ dequeueCount }: { dequeueCount: number }) => counts.push(dequeueCount));
    const text = toBase64({ doomed: true });
    await queues.getQueueClient('doomed-items').sendMessage(text);

    await logged(/Moving message to queue 'doomed-items-poison'/);
    await logged(/moved to queue 'doomed-items-poison'/);
    const poisoned = await poison.peekMessages();

    expect(counts).toEqual([1, 2, 3]);
    expect(poisoned.peekedMessageItems.map(({ messageText }) => messageText)).toEqual([text]);
    expect((await queues.getQueueClient('doomed-items').peekMessages()).peekedMessageItems).toEqual([]);
  });

  test('send a message that is not base64 straight to poison without invoking', async () => {
    const counts: number[] = [];
    probe.events.on(
      'flaky',
      (call: { message: unknown; dequeueCount: number }) =>
        call.message === 'not base64!' && counts.push(call.dequeueCount),
    );
    await queues.getQueueClient('flaky-items').sendMessage('not base64!');
    const poison = queues.getQueueClient('flaky-items-poison');

    await logged(/is not valid base64; moving it to 'flaky-items-poison'/);
    await logged(/moved to queue 'flaky-items-poison'/);
    const poisoned = await poison.peekMessages();

    expect(poisoned.peekedMessageItems.map(({ messageText }) => messageText)).toEqual(['not base64!']);
    expect(counts).toEqual([]);
  });
});

describe('output bindings', () => {
  test('write queue messages (one per array element, base64), table entities and a blob', async () => {
    const delivered: unknown[] = [];
    const bothDelivered = new Promise<void>((resolve) =>
      probe.events.on('work', ({ message }: { message: unknown }) => {
        delivered.push(message);
        if (delivered.length === 2) resolve();
      }),
    );

    const response = await fetch(`${host.url}/api/enqueue/order-1`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ items: [{ sku: 'a' }, 'plain text'] }),
    });
    await bothDelivered;

    expect(response.status).toBe(202);
    expect(delivered.sort()).toEqual([{ sku: 'a' }, 'plain text'].sort());
    const table = TableClient.fromConnectionString(storage.connectionString, 'fixtureLedger', {
      allowInsecureConnection: true,
    });
    const entities = [];
    for await (const entity of table.listEntities())
      entities.push({ pk: entity.partitionKey, rk: entity.rowKey, item: entity['item'] });
    expect(entities).toEqual([
      { pk: 'order-1', rk: '0', item: '{"sku":"a"}' },
      { pk: 'order-1', rk: '1', item: '"plain text"' },
    ]);
    const blob = BlobServiceClient.fromConnectionString(storage.connectionString)
      .getContainerClient('receipts')
      .getBlobClient('order-1.json');
    expect(JSON.parse((await blob.downloadToBuffer()).toString())).toEqual({ id: 'order-1', count: 2 });
  });
});
