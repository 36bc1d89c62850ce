import { getEventListeners, once } from 'node:events';
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import type { DevNode } from '../../../dev/bigchaindb/dev-node';
import { listen } from '../../../dev/listen';
import { BigchainDbClient, resolveStreamUrl } from '../../../shared/bigchaindb-client';
import { TransactionRejectedError, UpstreamError } from '../../../shared/errors';
import { generateKeyPair, type KeyPair } from '../../../shared/transaction/signing';
import { startTestNode } from '../../helpers/dev-node';
import {
  createTransaction,
  outputTo,
  postRaw,
  type SignedTransaction,
  transferTransaction,
} from '../../helpers/transactions';

// The BigchainDB client over real HTTP: against the dev node, and against tiny local servers that
// misbehave on purpose (never answer, answer junk, or are not there at all).

let node: DevNode;
let client: BigchainDbClient;
let alice: KeyPair;
let bob: KeyPair;
let created: SignedTransaction;
let transferred: SignedTransaction;
let createHeight: number;
let transferHeight: number;

/** Commits a transaction through plain fetch (not the client under test) and returns its block height. */
async function commit(transaction: SignedTransaction): Promise<number> {
  const response = await postRaw(node.apiUrl, transaction, 'commit');
  expect(response.status).toBe(202);
  return node.latestHeight;
}

beforeAll(async () => {
  node = await startTestNode();
  client = new BigchainDbClient({ apiUrl: node.apiUrl });
  alice = generateKeyPair();
  bob = generateKeyPair();
  created = createTransaction(
    alice,
    { vin: 'WVWZZZ1KZAW000001', make: 'Volkswagen' },
    { registeredBy: 'leasing company' },
  );
  createHeight = await commit(created);
  transferred = transferTransaction([{ tx: created, outputIndex: 0 }], [outputTo(bob)], [alice], { lessee: 'bob' });
  transferHeight = await commit(transferred);
});

afterAll(() => node.close());

/** A block as the node serves it, read with plain fetch. */
async function rawBlock(height: number): Promise<unknown> {
  return (await fetch(`${node.apiUrl}blocks/${height}`)).json();
}

/** Everything an UpstreamError carries, for an exact comparison. */
function upstreamFailure(error: unknown): Record<string, unknown> {
  if (!(error instanceof UpstreamError)) throw error;
  const { name, code, status, service, upstreamStatus, upstreamMessage, message } = error;
  return { name, code, status, service, upstreamStatus, upstreamMessage, message };
}

function upstream(
  status: 502 | 503,
  message: string,
  upstreamStatus?: number,
  upstreamMessage?: string,
): Record<string, unknown> {
  return {
    name: 'UpstreamError',
    code: 'UPSTREAM_FAILED',
    status,
    service: 'bigchaindb',
    upstreamStatus,
    upstreamMessage,
    message,
  };
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error: unknown) {
    return error;
  }
  throw new Error('expected a rejection');
}

interface Stub {
  readonly server: Server;
  readonly apiUrl: string;
  close(): Promise<void>;
}

/** A plain HTTP server on 127.0.0.1 with a free port, answering as `listener` says (or never). */
async function startStub(listener: RequestListener): Promise<Stub> {
  const server = createServer(listener);
  await listen(server, '127.0.0.1', 0);
  const { port } = server.address() as AddressInfo;
  return {
    server,
    apiUrl: `http://127.0.0.1:${port}/api/v1/`,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe('new BigchainDbClient', () => {
  test.each([
    ['http://127.0.0.1:9984/api/v1', 'http://127.0.0.1:9984/api/v1'],
    ['http://127.0.0.1:9984/', 'http://127.0.0.1:9984/'],
    ['ws://127.0.0.1:9985/api/v1/', 'ws://127.0.0.1:9985/api/v1/'],
    ['http://127.0.0.1:9984/api/v1/?x=1', 'http://127.0.0.1:9984/api/v1/'],
  ])('refuses apiUrl %s, which does not end with /api/v1/', (apiUrl, shown) => {
    expect(() => new BigchainDbClient({ apiUrl })).toThrow(
      new TypeError(
        `BigchainDB apiUrl must be an http(s) URL ending with /api/v1/, like http://127.0.0.1:9984/api/v1/; got ${shown}`,
      ),
    );
  });

  test('refuses an apiUrl that is not a URL', () => {
    expect(() => new BigchainDbClient({ apiUrl: '127.0.0.1:9984' })).toThrow(
      new TypeError('BigchainDB apiUrl is not an absolute URL; expected one like http://127.0.0.1:9984/api/v1/'),
    );
  });

  test('refuses an apiUrl with credentials without repeating them', () => {
    expect(() => new BigchainDbClient({ apiUrl: 'https://user:s3cret@node.example/api/v1/' })).toThrow(
      new TypeError('BigchainDB apiUrl must not carry credentials'),
    );
  });

  test.each([0, -1, 1.5, Number.POSITIVE_INFINITY])('refuses requestTimeoutMs %p', (requestTimeoutMs) => {
    expect(() => new BigchainDbClient({ apiUrl: node.apiUrl, requestTimeoutMs })).toThrow(
      new RangeError(`requestTimeoutMs must be a positive integer, got ${requestTimeoutMs}`),
    );
  });
});

describe('#getInfo', () => {
  test('reads version 2.2.2 and the advertised stream URL from the node root', async () => {
    expect(await client.getInfo()).toEqual({ version: '2.2.2', streamsUrl: node.streamUrl });
  });
});

describe('#getBlock', () => {
  test('lists the CREATE of a block with its own id as asset id', async () => {
    expect(await client.getBlock(createHeight)).toEqual({
      height: createHeight,
      transactions: [{ transactionId: created.id, assetId: created.id, operation: 'CREATE' }],
      raw: await rawBlock(createHeight),
    });
  });

  test('lists the TRANSFER of a block with the asset id it moves', async () => {
    const block = await client.getBlock(transferHeight);
    expect(block).toEqual({
      height: transferHeight,
      transactions: [{ transactionId: transferred.id, assetId: created.id, operation: 'TRANSFER' }],
      raw: { height: transferHeight, transactions: [transferred] },
    });
  });

  test('reads the genesis block 0 with no transactions', async () => {
    expect(await client.getBlock(0)).toEqual({ height: 0, transactions: [], raw: { height: 0, transactions: [] } });
  });

  test('resolves undefined above the latest height (the node answers 404)', async () => {
    expect(await client.getBlock(node.latestHeight + 1)).toBeUndefined();
  });

  test.each([-1, 1.5, Number.NaN])('refuses height %p without asking the node', async (height) => {
    await expect(client.getBlock(height)).rejects.toThrow(
      new RangeError(`block height must be a non-negative integer, got ${height}`),
    );
  });

  test('takes the HTML 404 of a wrong apiUrl for a failure, not for a missing block', async () => {
    const lost = new BigchainDbClient({ apiUrl: `${node.url}/bigchaindb/api/v1/` });
    expect(upstreamFailure(await rejection(lost.getBlock(1)))).toEqual(
      upstream(502, 'bigchaindb replied 404 to GET /bigchaindb/api/v1/blocks/1', 404),
    );
  });
});

describe('#getTransaction', () => {
  test('reads a committed transaction back unchanged', async () => {
    expect(await client.getTransaction(created.id)).toEqual(created);
    expect(await client.getTransaction(transferred.id)).toEqual(transferred);
  });

  test('resolves undefined for an id the node does not have', async () => {
    expect(await client.getTransaction('0'.repeat(64))).toBeUndefined();
  });
});

describe('#listTransactions', () => {
  test('lists the CREATE then the TRANSFERs of an asset', async () => {
    expect(await client.listTransactions(created.id)).toEqual([created, transferred]);
  });

  test('lists only the operation asked for', async () => {
    expect(await client.listTransactions(created.id, 'CREATE')).toEqual([created]);
    expect(await client.listTransactions(created.id, 'TRANSFER')).toEqual([transferred]);
  });

  test('passes on the node refusing a malformed asset id as a 502 with its message', async () => {
    expect(upstreamFailure(await rejection(client.listTransactions('car-1')))).toEqual(
      upstream(
        502,
        'bigchaindb replied 400 to GET /api/v1/transactions?asset_id=car-1: {"asset_id":"Invalid hash"}',
        400,
        '{"asset_id":"Invalid hash"}',
      ),
    );
  });
});

describe('#listBlocks', () => {
  test('lists the height of the block holding a transaction', async () => {
    expect(await client.listBlocks(created.id)).toEqual([createHeight]);
    expect(await client.listBlocks(transferred.id)).toEqual([transferHeight]);
  });

  test('lists nothing for an unknown transaction', async () => {
    expect(await client.listBlocks('f'.repeat(64))).toEqual([]);
  });
});

describe('#postTransaction', () => {
  test('in commit mode resolves with the echo once the transaction can be read back', async () => {
    const car = createTransaction(alice, { vin: 'WVWZZZ1KZAW000002' });
    expect(await client.postTransaction(car, 'commit')).toEqual(car);
    expect(await client.getTransaction(car.id)).toEqual(car);
  });

  test('in async mode resolves with the echo', async () => {
    const car = createTransaction(alice, { vin: 'WVWZZZ1KZAW000003' });
    expect(await client.postTransaction(car, 'async')).toEqual(car);
  });

  test('a transaction the node refuses rejects with its exact message', async () => {
    const error = await rejection(client.postTransaction(created, 'commit'));
    expect(error).toBeInstanceOf(TransactionRejectedError);
    const { name, code, status, message } = error as TransactionRejectedError;
    expect({ name, code, status, message }).toEqual({
      name: 'TransactionRejectedError',
      code: 'TRANSACTION_REJECTED',
      status: 400,
      message: `Invalid transaction (DuplicateTransaction): transaction \`${created.id}\` already exists`,
    });
  });

  test('a double spend rejects with the node message naming the spent input', async () => {
    const again = transferTransaction([{ tx: created, outputIndex: 0 }], [outputTo(alice)], [alice], {
      lessee: 'alice',
    });
    await expect(client.postTransaction(again, 'sync')).rejects.toThrow(
      new TransactionRejectedError({
        message: `Invalid transaction (DoubleSpend): input \`${created.id}\` was already spent`,
      }),
    );
  });
});

describe('when the node is not there', () => {
  test('a closed port rejects with UpstreamError 503', async () => {
    const stub = await startStub(() => undefined);
    const { port } = stub.server.address() as AddressInfo;
    await stub.close();
    const gone = new BigchainDbClient({ apiUrl: stub.apiUrl });
    const error = await rejection(gone.getInfo());
    expect(upstreamFailure(error)).toEqual(
      upstream(503, `bigchaindb is unreachable: GET / failed (connect ECONNREFUSED 127.0.0.1:${port})`),
    );
    // fetch's own error, from outside jest's realm, hence no toBeInstanceOf.
    expect((error as Error).cause).toMatchObject({ name: 'TypeError', message: 'fetch failed' });
  });
});

describe('when the node misbehaves', () => {
  let stub: Stub | undefined;
  afterEach(async () => {
    await stub?.close();
    stub = undefined;
  });

  test('a node that never answers rejects with UpstreamError 503 after requestTimeoutMs', async () => {
    stub = await startStub(() => undefined);
    const slow = new BigchainDbClient({ apiUrl: stub.apiUrl, requestTimeoutMs: 100 });
    expect(upstreamFailure(await rejection(slow.getBlock(1)))).toEqual(
      upstream(503, 'bigchaindb did not answer GET /api/v1/blocks/1 within 100 ms'),
    );
  });

  test('a node that stalls in the middle of its reply times out too', async () => {
    stub = await startStub((_request, response) => {
      response.writeHead(200, { 'Content-Type': 'application/json' });
      response.write('{"height": 1, "transactions": [');
    });
    const slow = new BigchainDbClient({ apiUrl: stub.apiUrl, requestTimeoutMs: 100 });
    expect(upstreamFailure(await rejection(slow.getBlock(1)))).toEqual(
      upstream(503, 'bigchaindb did not answer GET /api/v1/blocks/1 within 100 ms'),
    );
  });

  test("aborting the caller's signal rejects with its reason, not an UpstreamError", async () => {
    stub = await startStub(() => undefined);
    const controller = new AbortController();
    const reason = new Error('relay shutting down');
    const pending = new BigchainDbClient({ apiUrl: stub.apiUrl }).getBlock(1, controller.signal);
    await once(stub.server, 'request');
    controller.abort(reason);
    expect(await rejection(pending)).toBe(reason);
  });

  test('a caller signal aborted before the call rejects with its reason and sends nothing', async () => {
    let requests = 0;
    stub = await startStub(() => {
      requests++;
    });
    const reason = new Error('already shutting down');
    const pending = new BigchainDbClient({ apiUrl: stub.apiUrl }).getInfo(AbortSignal.abort(reason));
    expect(await rejection(pending)).toBe(reason);
    expect(requests).toBe(0);
  });

  test('a long-lived caller signal keeps no listener once each request is over', async () => {
    const shutdown = new AbortController();
    await client.getBlock(createHeight, shutdown.signal);
    await client.getBlock(node.latestHeight + 1, shutdown.signal);
    await rejection(client.postTransaction(created, 'commit', shutdown.signal));
    expect(getEventListeners(shutdown.signal, 'abort')).toEqual([]);
  });

  test('a success body that is not JSON rejects with UpstreamError 502', async () => {
    stub = await startStub((_request, response) => response.end('<html>proxy login</html>'));
    const junk = new BigchainDbClient({ apiUrl: stub.apiUrl });
    expect(upstreamFailure(await rejection(junk.getTransaction('a'.repeat(64))))).toEqual(
      upstream(
        502,
        `bigchaindb replied to GET /api/v1/transactions/${'a'.repeat(64)} with a body that is not JSON`,
        200,
      ),
    );
  });

  test('a block of the wrong shape rejects with UpstreamError 502 naming the field', async () => {
    const block = { height: 3, transactions: [{ id: 'b'.repeat(64), operation: 'TRANSFER', asset: { data: null } }] };
    stub = await startStub((_request, response) => response.end(JSON.stringify(block)));
    const wrong = new BigchainDbClient({ apiUrl: stub.apiUrl });
    expect(upstreamFailure(await rejection(wrong.getBlock(3)))).toEqual(
      upstream(
        502,
        'bigchaindb replied to GET /api/v1/blocks/3 with a malformed block: block /transactions/0/asset/id is required',
      ),
    );
  });

  test('a block with a validator election lists only its CREATE and TRANSFER', async () => {
    const [election, create, transfer] = ['c', 'd', 'e'].map((digit) => digit.repeat(64)) as [string, string, string];
    const block = {
      height: 4,
      transactions: [
        { id: election, operation: 'VALIDATOR_ELECTION', asset: { data: { public_key: 'x' } } },
        { id: create, operation: 'CREATE', asset: { data: null } },
        { id: transfer, operation: 'TRANSFER', asset: { id: create } },
      ],
    };
    stub = await startStub((_request, response) => response.end(JSON.stringify(block)));
    expect(await new BigchainDbClient({ apiUrl: stub.apiUrl }).getBlock(4)).toEqual({
      height: 4,
      transactions: [
        { transactionId: create, assetId: create, operation: 'CREATE' },
        { transactionId: transfer, assetId: create, operation: 'TRANSFER' },
      ],
      raw: block,
    });
  });

  test('a 500 on POST rejects with UpstreamError 502 carrying the node status and message', async () => {
    stub = await startStub((_request, response) => {
      response.writeHead(500, { 'Content-Type': 'application/json' });
      response.end('{"message":"Transaction validation failed","status":500}\n');
    });
    const failing = new BigchainDbClient({ apiUrl: stub.apiUrl });
    expect(upstreamFailure(await rejection(failing.postTransaction(created, 'commit')))).toEqual(
      upstream(
        502,
        'bigchaindb replied 500 to POST /api/v1/transactions?mode=commit: Transaction validation failed',
        500,
        'Transaction validation failed',
      ),
    );
  });

  test('a gateway answering 503 before the node rejects with UpstreamError 503', async () => {
    stub = await startStub((_request, response) => {
      response.writeHead(503, { 'Content-Type': 'text/html' });
      response.end('<html>Service Unavailable</html>');
    });
    const behindProxy = new BigchainDbClient({ apiUrl: stub.apiUrl });
    expect(upstreamFailure(await rejection(behindProxy.listBlocks(created.id)))).toEqual(
      upstream(503, `bigchaindb replied 503 to GET /api/v1/blocks?transaction_id=${created.id}`, 503),
    );
  });
});

describe('resolveStreamUrl', () => {
  const PATH = '/api/v1/streams/valid_transactions';

  test.each([
    ['0.0.0.0', `ws://0.0.0.0:9985${PATH}`, `ws://bigchaindb.internal:9985${PATH}`],
    ['localhost', `ws://localhost:9985${PATH}`, `ws://bigchaindb.internal:9985${PATH}`],
    ['127.0.0.1', `ws://127.0.0.1:9985${PATH}`, `ws://bigchaindb.internal:9985${PATH}`],
    ['::', `ws://[::]:9985${PATH}`, `ws://bigchaindb.internal:9985${PATH}`],
  ])('replaces an advertised %s host by the API host, keeping port and path', (_host, advertised, expected) => {
    expect(resolveStreamUrl(advertised, 'http://bigchaindb.internal:9984/api/v1/')).toBe(expected);
  });

  test('keeps a real advertised host as it is', () => {
    const advertised = `ws://bigchaindb:9985${PATH}`;
    expect(resolveStreamUrl(advertised, 'http://10.0.0.5:9984/api/v1/')).toBe(advertised);
  });

  test('keeps wss and a proxied port', () => {
    expect(resolveStreamUrl(`wss://0.0.0.0:443${PATH}`, 'https://ledger.example.com/api/v1/')).toBe(
      `wss://ledger.example.com${PATH}`,
    );
    expect(resolveStreamUrl(`wss://0.0.0.0:8443${PATH}`, 'https://ledger.example.com/api/v1/')).toBe(
      `wss://ledger.example.com:8443${PATH}`,
    );
    expect(resolveStreamUrl(`wss://test.ipdb.io${PATH}`, 'https://test.ipdb.io/api/v1/')).toBe(
      `wss://test.ipdb.io${PATH}`,
    );
  });

  test('puts an IPv6 API host in brackets', () => {
    expect(resolveStreamUrl(`ws://0.0.0.0:9985${PATH}`, 'http://[fd00::5]:9984/api/v1/')).toBe(
      `ws://[fd00::5]:9985${PATH}`,
    );
  });

  test("gives the dev node's own URL back, since the client reaches it where it advertises", async () => {
    const { streamsUrl } = await client.getInfo();
    expect(resolveStreamUrl(streamsUrl, node.apiUrl)).toBe(node.streamUrl);
  });
});
