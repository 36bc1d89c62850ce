import { join } from 'node:path';

import { type RunningHost, startHost } from '../../../dev/functions-host/host';
import { decodePremiumChange } from '../../../shared/premium-change';
import { generateKeyPair } from '../../../shared/transaction/signing';
import { type AppFixture, startAppFixture } from '../../helpers/functions-app';
import { recordHostLog } from '../../helpers/host-log-recorder';
import { carRegistration, leaseRequest } from '../../helpers/leasing-data';
import { type RelayHarness, startRelay } from '../../helpers/relay-harness';

// The whole product in one process: the Functions app loaded by the local host through the real
// @azure/functions library, the relay, the dev node and Azurite, talking over real HTTP, WebSocket and queues.

const HOST_KEY = 'host-key-for-this-test';
let app: AppFixture;
let relay: RelayHarness;
let host: RunningHost;
const hostLog = recordHostLog();
const logs = hostLog.entries;
const logged = hostLog.logged;

beforeAll(async () => {
  app = await startAppFixture();
  relay = await startRelay({
    apiUrl: app.node.apiUrl,
    queue: app.services.ledgerEvents,
    container: app.services.checkpoints,
  });
  host = await startHost({
    appRoot: join(__dirname, '../../..'),
    main: 'functions/index.ts',
    port: 0,
    settings: {
      ...app.appSettings,
      FUNCTIONS_WORKER_RUNTIME: 'node',
      // Poll fast and give up after two tries, so that the poison path takes milliseconds, not minutes.
      AzureFunctionsJobHost__extensions__queues__maxPollingInterval: '00:00:00.100',
      AzureFunctionsJobHost__extensions__queues__visibilityTimeout: '00:00:00',
      AzureFunctionsJobHost__extensions__queues__maxDequeueCount: '2',
    },
    keys: { master: 'master-key-for-this-test', host: { default: HOST_KEY }, functions: {} },
    log: hostLog.log,
  });
});

afterAll(async () => {
  /* eslint-disable @typescript-eslint/no-unnecessary-condition -- unset if beforeAll failed before assigning it */
  await host?.close();
  await relay?.stop();
  await app?.close();
  /* eslint-enable @typescript-eslint/no-unnecessary-condition -- end of the teardown */
});

async function call(
  method: string,
  path: string,
  body?: unknown,
  key: string | null = HOST_KEY,
): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${host.url}/api/${path}`, {
    method,
    headers: {
      ...(key === null ? {} : { 'x-functions-key': key }),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: text === '' ? undefined : (JSON.parse(text) as unknown) };
}

describe('the Functions app on the local host', () => {
  it('enforces function keys on every endpoint but health and the OpenAPI document', async () => {
    expect((await call('POST', 'cars', carRegistration(), null)).status).toBe(401);
    expect((await call('GET', `cars/${'a'.repeat(64)}`, undefined, 'wrong-key')).status).toBe(401);
    expect((await call('GET', 'health', undefined, null)).status).toBe(200);
    const openApi = await call('GET', 'openapi.json', undefined, null);
    expect(openApi).toMatchObject({ status: 200, body: { openapi: '3.1.0' } });
  });

  it('prices a lease end to end: premium row, active policy and one premium-changes message; a return parks it', async () => {
    const driver = generateKeyPair();
    const history = {
      licensedSince: '2012-05-01',
      atFaultAccidents: [],
      claims: [{ date: '2024-03-01' }],
      violations: [],
    };
    expect((await call('PUT', `drivers/${driver.publicKey}`, history)).status).toBe(201);
    const registered = await call('POST', 'cars', carRegistration());
    expect(registered.status).toBe(201);
    const { assetId } = registered.body as { assetId: string };

    const leased = await call('POST', `cars/${assetId}/leases`, leaseRequest(driver));
    expect(leased.status).toBe(201);
    const { transactionId: leaseId } = leased.body as { transactionId: string };
    await logged(new RegExp(`is active from transaction ${leaseId}`));

    const car = await call('GET', `cars/${assetId}`);
    expect(car.body).toMatchObject({ status: 'leased', policy: { status: 'active', transactionId: leaseId } });
    const premiums = await call('GET', `cars/${assetId}/premiums`);
    expect(premiums.body).toMatchObject({
      assetId,
      premiums: [{ transactionId: leaseId, status: 'quoted', driverPublicKey: driver.publicKey }],
    });
    const { receivedMessageItems } = await app.services.premiumChanges.receiveMessages({ numberOfMessages: 32 });
    const changes = receivedMessageItems
      .map(({ messageText }) => decodePremiumChange(messageText))
      .filter((change) => change.assetId === assetId);
    expect(changes).toHaveLength(1);
    expect(changes[0]).toMatchObject({ transactionId: leaseId, driverPublicKey: driver.publicKey });

    const returned = await call('POST', `cars/${assetId}/returns`, {});
    expect(returned.status).toBe(201);
    const { transactionId: returnId } = returned.body as { transactionId: string };
    await logged(new RegExp(`is parked from transaction ${returnId}`));
    expect((await call('GET', `cars/${assetId}`)).body).toMatchObject({
      status: 'available',
      policy: { status: 'parked', transactionId: returnId },
    });
  });

  it('moves a malformed ledger event to ledger-events-poison after maxDequeueCount tries', async () => {
    const malformed = Buffer.from(JSON.stringify({ transaction_id: 'not-a-transaction-id' })).toString('base64');
    const { messageId } = await app.services.ledgerEvents.sendMessage(malformed);
    await logged(new RegExp(`Message '${messageId}' moved to queue 'ledger-events-poison'`));
    const poison = await app.services.ledgerEventsPoison.receiveMessages({ numberOfMessages: 32 });
    expect(poison.receivedMessageItems.map(({ messageText }) => messageText)).toContain(malformed);
    const failures = logs.filter(
      ({ level, msg }) =>
        level === 'error' && /^malformed ledger event, failing it towards the poison queue: ledger event \//.test(msg),
    );
    expect(failures.length).toBeGreaterThanOrEqual(2);
  });
});
