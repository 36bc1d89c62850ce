import { submitTransaction } from '../../../functions/submit-transaction';
import { BigchainDbClient } from '../../../shared/bigchaindb-client';
import { generateKeyPair } from '../../../shared/transaction/signing';
import { startTestNode } from '../../helpers/dev-node';
import { type AppFixture, callHttp, startAppFixture } from '../../helpers/functions-app';
import { createTransaction, outputTo, transferTransaction } from '../../helpers/transactions';

let app: AppFixture;
const submit = (body: unknown, query = '', headers?: Record<string, string>): ReturnType<typeof callHttp> =>
  callHttp(submitTransaction(app.services), {
    url: `http://127.0.0.1/api/transactions${query}`,
    body,
    ...(headers ? { headers } : {}),
  });

beforeAll(async () => {
  app = await startAppFixture();
});

afterAll(() => app.close());

describe('POST /api/transactions', () => {
  it('forwards a client-signed CREATE and answers 202 with its id', async () => {
    const transaction = createTransaction(generateKeyPair(), { data: { serial: 1 } });
    const response = await submit(transaction, '?mode=commit');
    expect(response).toMatchObject({
      status: 202,
      body: { id: transaction.id, operation: 'CREATE', assetId: transaction.id, mode: 'commit' },
    });
    expect(await app.services.bigchainDb.getTransaction(transaction.id)).toMatchObject({ id: transaction.id });
  });

  it('answers 200 with the committed transaction when it is submitted again', async () => {
    const owner = generateKeyPair();
    const created = createTransaction(owner, { data: { serial: 2 } });
    await submit(created, '?mode=commit');
    const again = await submit(created, '?mode=commit');
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ id: created.id, operation: 'CREATE' });
    const transfer = transferTransaction([{ tx: created, outputIndex: 0 }], [outputTo(generateKeyPair())], [owner]);
    expect((await submit(transfer, '?mode=commit')).status).toBe(202);
    expect(await submit(transfer, '?mode=commit')).toMatchObject({ status: 200, body: { id: transfer.id } });
  });

  it('refuses a transaction with a forged signature before it reaches BigchainDB', async () => {
    const transaction = createTransaction(generateKeyPair(), { data: { serial: 3 } });
    const other = createTransaction(generateKeyPair(), { data: { serial: 3 } });
    const forged = {
      ...transaction,
      inputs: [{ ...transaction.inputs[0], fulfillment: other.inputs[0]?.['fulfillment'] }],
    };
    const response = await submit(forged);
    expect(response.status).toBe(400);
    expect((response.body as { error: { code: string } }).error.code).toBe('INVALID_TRANSACTION');
    expect(await app.services.bigchainDb.getTransaction(transaction.id)).toBeUndefined();
  });

  it("passes BigchainDB's own rejection on as 400 with its message", async () => {
    const owner = generateKeyPair();
    const created = createTransaction(owner, { data: { serial: 4 } });
    await submit(created, '?mode=commit');
    const first = transferTransaction([{ tx: created, outputIndex: 0 }], [outputTo(generateKeyPair())], [owner]);
    const second = transferTransaction([{ tx: created, outputIndex: 0 }], [outputTo(generateKeyPair())], [owner]);
    await submit(first, '?mode=commit');
    expect(await submit(second, '?mode=commit')).toEqual({
      status: 400,
      headers: expect.anything(),
      body: {
        error: {
          code: 'TRANSACTION_REJECTED',
          message: expect.stringMatching(/^Invalid transaction \(DoubleSpend\): /),
        },
      },
    });
  });

  it('answers 400 naming the mode parameter for an unknown mode', async () => {
    const response = await submit(createTransaction(generateKeyPair(), null), '?mode=later');
    expect(response.body).toEqual({
      error: {
        code: 'VALIDATION_FAILED',
        message: 'mode must be one of "async", "sync", "commit"',
        field: 'mode',
        rule: 'enum',
      },
    });
  });

  it('answers 413 for a body over 1 MiB and 415 for a body that is not JSON by its type', async () => {
    const big = createTransaction(generateKeyPair(), { data: { blob: 'x'.repeat(1024 * 1024) } });
    expect(await submit(big)).toMatchObject({ status: 413, body: { error: { code: 'PAYLOAD_TOO_LARGE' } } });
    const plain = await submit(JSON.stringify(createTransaction(generateKeyPair(), null)), '', {
      'content-type': 'text/plain',
    });
    expect(plain).toMatchObject({
      status: 415,
      body: {
        error: { code: 'UNSUPPORTED_MEDIA_TYPE', message: 'Content-Type must be application/json, got "text/plain"' },
      },
    });
  });

  it('answers 503 with Retry-After when BigchainDB is unreachable', async () => {
    const node = await startTestNode();
    await node.close();
    const handler = submitTransaction({ bigchainDb: new BigchainDbClient({ apiUrl: node.apiUrl }) });
    const response = await callHttp(handler, { body: createTransaction(generateKeyPair(), null) });
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('5');
    expect((response.body as { error: { code: string } }).error.code).toBe('UPSTREAM_FAILED');
  });
});
