import { health } from '../../../functions/health';
import { BigchainDbClient } from '../../../shared/bigchaindb-client';
import { BlobCheckpointStore } from '../../../shared/blob-checkpoint-store';
import { generateKeyPair } from '../../../shared/transaction/signing';
import { startTestNode } from '../../helpers/dev-node';
import { type AppFixture, callHttp, startAppFixture } from '../../helpers/functions-app';
import { createTransaction, postRaw } from '../../helpers/transactions';

let app: AppFixture;

beforeAll(async () => {
  app = await startAppFixture();
});

afterAll(() => app.close());

const check = (services = app.services): ReturnType<typeof callHttp> => callHttp(health(services), { method: 'GET' });

describe('GET /api/health', () => {
  it('reports BigchainDB, storage and a relay that has not checkpointed yet', async () => {
    const response = await check();
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      status: 'ok',
      bigchainDb: { ok: true, version: '2.2.2' },
      storage: { ok: true, ledgerEventsDepth: 0, poisonDepth: 0 },
      relay: { ok: true, checkpointHeight: null, newestHeight: app.node.latestHeight, lag: app.node.latestHeight },
    });
    expect(response.headers.get('cache-control')).toBe('no-store');
  });

  it("reports the relay's checkpoint and how many blocks it is behind", async () => {
    for (let serial = 0; serial < 3; serial += 1)
      await postRaw(app.node.apiUrl, createTransaction(generateKeyPair(), { data: { serial } }), 'commit');
    const store = new BlobCheckpointStore({
      container: app.services.checkpoints,
      blobName: 'ledger-events/checkpoint.json',
    });
    await store.write(1, (await store.read())?.version);
    const response = await check();
    expect(response.body).toMatchObject({
      relay: { ok: true, checkpointHeight: 1, newestHeight: app.node.latestHeight, lag: app.node.latestHeight - 1 },
    });
  });

  it('answers 503 naming BigchainDB when the node is down', async () => {
    const node = await startTestNode();
    await node.close();
    const response = await check({ ...app.services, bigchainDb: new BigchainDbClient({ apiUrl: node.apiUrl }) });
    expect(response.status).toBe(503);
    expect(response.body).toMatchObject({
      status: 'unavailable',
      bigchainDb: { ok: false, error: expect.stringMatching(/^bigchaindb is unreachable/) },
      storage: { ok: true },
    });
  });
});
