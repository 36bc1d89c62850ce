import { Connection } from 'bigchaindb-driver';

import type { DevNode } from '../../../dev/bigchaindb/dev-node';
import { generateKeyPair, type KeyPair } from '../../../shared/transaction/signing';
import { startTestNode } from '../../helpers/dev-node';
import { raw, type RawResponse } from '../../helpers/raw-response';
import { createTransaction, outputTo, type SignedTransaction, transferTransaction } from '../../helpers/transactions';

// The HTTP conventions a BigchainDB 2.2 node follows on every endpoint (spec §1, §2), byte for byte,
// over real HTTP.

let node: DevNode;
let alice: KeyPair;
let bob: KeyPair;

beforeAll(async () => {
  node = await startTestNode();
});

afterAll(() => node.close());

beforeEach(() => {
  alice = generateKeyPair();
  bob = generateKeyPair();
});

/** GETs a path of the node (relative to its base URL, starting with `/`). */
function get(path: string, headers: Record<string, string> = {}): Promise<RawResponse> {
  return fetch(`${node.url}${path}`, { headers }).then(raw);
}

function ok(text: string): RawResponse {
  return { status: 200, statusText: 'OK', contentType: 'application/json', text };
}

function post(path: string, body: string): Promise<RawResponse> {
  return fetch(`${node.url}${path}`, { method: 'POST', body }).then(raw);
}

async function commit(tx: SignedTransaction): Promise<RawResponse> {
  const response = await post('/api/v1/transactions?mode=commit', JSON.stringify(tx));
  expect(response.status).toBe(202);
  return response;
}

/** An Ed25519 output of amount 1 as the node writes it back. */
function outputText(tx: SignedTransaction, owner: KeyPair): string {
  const { uri } = tx.outputs[0]?.['condition'] as { uri: string };
  const pk = owner.publicKey;
  return (
    `{"public_keys": ["${pk}"], "condition": {"details": {"type": "ed25519-sha-256", "public_key": "${pk}"}, ` +
    `"uri": "${uri}"}, "amount": "1"}`
  );
}

function fulfillmentOf(tx: SignedTransaction): string {
  return String(tx.inputs[0]?.['fulfillment']);
}

/** JSON with every object's keys sorted, compact: what Flask's `jsonify` writes (ASCII input only). */
function sortedCompactJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

const HTML_NOT_FOUND: RawResponse = {
  status: 404,
  statusText: 'NOT FOUND',
  contentType: 'text/html; charset=utf-8',
  text:
    '<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 3.2 Final//EN">\n<title>404 Not Found</title>\n<h1>Not Found</h1>\n' +
    '<p>The requested URL was not found on the server. ' +
    'If you entered the URL manually please check your spelling and try again.</p>\n',
};

const JSON_NOT_FOUND: RawResponse = {
  status: 404,
  statusText: 'NOT FOUND',
  contentType: 'application/json',
  text: '{"message":"Not found","status":404}\n',
};

const DOCS = 'https://docs.bigchaindb.com/projects/server/en/v2.2.2/';

describe('index endpoints', () => {
  test("GET / is the root info, keys sorted and compact, with the node's own streams URL", async () => {
    expect(await get('/')).toEqual(
      ok(
        '{"api":{"v1":{"assets":"/api/v1/assets/","blocks":"/api/v1/blocks/",' +
          `"docs":"${DOCS}http-client-server-api.html","metadata":"/api/v1/metadata/","outputs":"/api/v1/outputs/",` +
          `"streams":"${node.streamUrl}","transactions":"/api/v1/transactions/","validators":"/api/v1/validators"}},` +
          `"docs":"${DOCS}","software":"BigchainDB","version":"2.2.2"}\n`,
      ),
    );
  });

  test.each(['/api/v1', '/api/v1/'])('GET %s is the v1 index with paths relative to /api/v1', async (path) => {
    expect(await get(path)).toEqual(
      ok(
        `{"assets":"/assets/","blocks":"/blocks/","docs":"${DOCS}http-client-server-api.html",` +
          `"metadata":"/metadata/","outputs":"/outputs/","streams":"${node.streamUrl}",` +
          '"transactions":"/transactions/","validators":"/validators"}\n',
      ),
    );
  });
});

describe('routing', () => {
  const owner = generateKeyPair();
  let created: SignedTransaction;

  beforeAll(async () => {
    created = createTransaction(owner, { car: 'trailing slash' }, { note: 'routing' });
    await commit(created);
  });

  test.each([
    ['/api/v1/transactions/{id}', (tx: SignedTransaction) => `/api/v1/transactions/${tx.id}`],
    ['/api/v1/transactions?asset_id=', (tx: SignedTransaction) => `/api/v1/transactions?asset_id=${tx.id}`],
    ['/api/v1/outputs?public_key=', () => `/api/v1/outputs?public_key=${owner.publicKey}`],
    ['/api/v1/assets?search=', () => '/api/v1/assets?search=slash'],
    ['/api/v1/metadata?search=', () => '/api/v1/metadata?search=routing'],
    ['/api/v1/blocks?transaction_id=', (tx: SignedTransaction) => `/api/v1/blocks?transaction_id=${tx.id}`],
    ['/api/v1/blocks/{height}', () => '/api/v1/blocks/1'],
    ['/api/v1/validators', () => '/api/v1/validators'],
  ])('%s answers the same with a trailing slash', async (_route, pathOf) => {
    const path = pathOf(created);
    const [pathname, query] = path.split('?');
    const withSlash = `${String(pathname)}/${query === undefined ? '' : `?${query}`}`;

    const without = await get(path);
    expect(without.status).toBe(200);
    expect(without.text).not.toBe('[]\n');
    expect(await get(withSlash)).toEqual(without);
  });

  test('POST /api/v1/transactions/ (with the slash) accepts a transaction', async () => {
    const tx = createTransaction(alice, { car: 'posted with a slash' });

    const response = await post('/api/v1/transactions/?mode=commit', JSON.stringify(tx));

    expect(response.status).toBe(202);
    expect((await get(`/api/v1/transactions/${tx.id}`)).status).toBe(200);
  });

  test.each([
    '/api/v1/foo',
    '/api/v1/blocks/abc',
    '/api/v1/blocks/-1',
    '/api/v1/streams/valid_transactions',
    '/api/wrong/transactions/x',
  ])("%s matches no route and gets Werkzeug's HTML 404", async (path) => {
    expect(await get(path)).toEqual(HTML_NOT_FOUND);
  });

  test('the driver pointed at a wrong API path throws a ResponseError with "404 NOT FOUND" and the URL', async () => {
    const port = new URL(node.url).port;
    const connection = new Connection(`http://127.0.0.1:${port}/api/wrong/`);

    await expect(connection.getTransaction('transactionId')).rejects.toMatchObject({
      name: 'ResponseError',
      message: 'HTTP Error: Requested page not reachable',
      status: '404 NOT FOUND',
      requestURI: `http://127.0.0.1:${port}/api/wrong/transactions/transactionId`,
    });
  });

  test('a percent-encoded path matches the route it decodes to, as in Werkzeug', async () => {
    expect(await get('/api/v1/transaction%73/0000')).toEqual(JSON_NOT_FOUND);
  });

  test('a transaction that is not on the chain is a JSON 404', async () => {
    expect(await get(`/api/v1/transactions/${'0'.repeat(64)}`)).toEqual(JSON_NOT_FOUND);
  });

  test.each([
    ['DELETE', '/api/v1/transactions', ['GET', 'HEAD', 'OPTIONS', 'POST']],
    ['POST', '/api/v1/transactions/{id}', ['GET', 'HEAD', 'OPTIONS']],
  ])('%s %s is a 405 naming the allowed methods', async (method, route, allowed) => {
    const url = `${node.url}${route.replace('{id}', created.id)}`;
    const response = await fetch(url, { method, body: method === 'POST' ? '{}' : undefined });

    expect(await raw(response)).toEqual({
      status: 405,
      statusText: 'METHOD NOT ALLOWED',
      contentType: 'application/json',
      text: '{"message": "The method is not allowed for the requested URL."}\n',
    });
    // Werkzeug lists the methods from a set, so only the set is specified (spec §1.4).
    expect(response.headers.get('allow')?.split(', ').sort()).toEqual(allowed);
  });
});

describe('CORS', () => {
  test('a request without Origin is allowed from any origin', async () => {
    const response = await fetch(`${node.apiUrl}validators`);

    expect(response.headers.get('access-control-allow-origin')).toBe('*');
    expect(response.headers.get('vary')).toBeNull();
  });

  test('a request with an Origin gets it echoed and Vary: Origin, errors included', async () => {
    const origin = 'https://leasing.example';
    const found = await fetch(`${node.apiUrl}validators`, { headers: { Origin: origin } });
    const missing = await fetch(`${node.apiUrl}transactions/${'0'.repeat(64)}`, { headers: { Origin: origin } });

    for (const response of [found, missing]) {
      expect(response.headers.get('access-control-allow-origin')).toBe(origin);
      expect(response.headers.get('vary')).toBe('Origin');
    }
    expect(missing.status).toBe(404);
  });

  test('a preflight for a JSON POST is answered 200 with every method and the requested header', async () => {
    const origin = 'https://leasing.example';
    const response = await fetch(`${node.apiUrl}transactions`, {
      method: 'OPTIONS',
      headers: {
        Origin: origin,
        'Access-Control-Request-Method': 'POST',
        'Access-Control-Request-Headers': 'content-type',
      },
    });

    expect(response.status).toBe(200);
    expect(response.statusText).toBe('OK');
    expect(await response.text()).toBe('');
    expect(response.headers.get('access-control-allow-origin')).toBe(origin);
    expect(response.headers.get('access-control-allow-methods')).toBe('DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT');
    expect(response.headers.get('access-control-allow-headers')).toBe('content-type');
    expect(response.headers.get('access-control-max-age')).toBeNull();
    expect(response.headers.get('access-control-allow-credentials')).toBeNull();
    expect(response.headers.get('allow')?.split(', ').sort()).toEqual(['GET', 'HEAD', 'OPTIONS', 'POST']);
  });
});

describe('reading', () => {
  test('a GET with a Content-Type: application/json header and no body is answered as usual', async () => {
    const created = createTransaction(alice, { car: 'content type on GET' });
    await commit(created);

    const plain = await get(`/api/v1/transactions/${created.id}`);
    expect(plain.status).toBe(200);
    expect(await get(`/api/v1/transactions/${created.id}`, { 'Content-Type': 'application/json' })).toEqual(plain);
  });

  test('block 0 exists and is empty', async () => {
    expect(await get('/api/v1/blocks/0')).toEqual(ok('{"height": 0, "transactions": []}\n'));
  });

  test('a height above the latest block is a JSON 404', async () => {
    expect(await get(`/api/v1/blocks/${node.latestHeight + 1}`)).toEqual(JSON_NOT_FOUND);
  });

  test('the validators are one ed25519-base64 key with voting power 10', async () => {
    const response = await get('/api/v1/validators');

    const [validator] = JSON.parse(response.text) as [{ public_key: { value: string } }];

    expect(response).toEqual(
      ok(
        `[{"public_key": {"type": "ed25519-base64", "value": "${validator.public_key.value}"}, "voting_power": 10}]\n`,
      ),
    );
    expect(validator.public_key.value).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(validator.public_key.value, 'base64')).toHaveLength(32);
  });

  test("a committed CREATE reads back in the node's key order with Python separators", async () => {
    const created = createTransaction(alice, { vin: 'WVWZZZ1KZAW000001' }, { note: 'read back' });
    await commit(created);

    expect(await get(`/api/v1/transactions/${created.id}`)).toEqual(
      ok(
        `{"inputs": [{"owners_before": ["${alice.publicKey}"], "fulfills": null, "fulfillment": "${fulfillmentOf(created)}"}], ` +
          `"outputs": [${outputText(created, alice)}], "operation": "CREATE", "metadata": {"note": "read back"}, ` +
          `"asset": {"data": {"vin": "WVWZZZ1KZAW000001"}}, "version": "2.0", "id": "${created.id}"}\n`,
      ),
    );
  });

  test('a committed TRANSFER reads back with fulfills as transaction_id then output_index', async () => {
    const created = createTransaction(alice, { car: 'transfer read back' });
    await commit(created);
    const transfer = transferTransaction([{ tx: created, outputIndex: 0 }], [outputTo(bob)], [alice]);
    await commit(transfer);

    expect(await get(`/api/v1/transactions/${transfer.id}`)).toEqual(
      ok(
        `{"inputs": [{"owners_before": ["${alice.publicKey}"], ` +
          `"fulfills": {"transaction_id": "${created.id}", "output_index": 0}, "fulfillment": "${fulfillmentOf(transfer)}"}], ` +
          `"outputs": [${outputText(transfer, bob)}], "operation": "TRANSFER", "metadata": null, ` +
          `"asset": {"id": "${created.id}"}, "version": "2.0", "id": "${transfer.id}"}\n`,
      ),
    );
  });

  describe('listing the transactions of an asset', () => {
    let created: SignedTransaction;
    let first: SignedTransaction;
    let second: SignedTransaction;

    beforeAll(async () => {
      const [owner, next] = [generateKeyPair(), generateKeyPair()];
      created = createTransaction(owner, { car: 'listed' });
      first = transferTransaction([{ tx: created, outputIndex: 0 }], [outputTo(next)], [owner]);
      second = transferTransaction([{ tx: first, outputIndex: 0 }], [outputTo(owner)], [next]);
      for (const tx of [created, first, second]) await commit(tx);
    });

    const list = async (query: string): Promise<unknown> => {
      const response = await get(`/api/v1/transactions?${query}`);
      expect(response.status).toBe(200);
      return JSON.parse(response.text);
    };

    test('without filters it is the CREATE then the TRANSFERs in commit order', async () => {
      expect(await list(`asset_id=${created.id}`)).toEqual([created, first, second]);
    });

    test('last_tx=true returns only the newest, as a one-element list', async () => {
      expect(await list(`asset_id=${created.id}&last_tx=true`)).toEqual([second]);
    });

    test("a TRANSFER's own id as asset_id returns that TRANSFER", async () => {
      expect(await list(`asset_id=${first.id}`)).toEqual([first]);
    });
  });
});

describe('writing', () => {
  test('the 202 of a POST echoes the posted transaction with sorted keys, compact', async () => {
    const tx = createTransaction(alice, { vin: 'WVWZZZ1KZAW000002', model: 'Golf' }, { lessee: 'bob', months: 36 });

    expect(await commit(tx)).toEqual({
      status: 202,
      statusText: 'ACCEPTED',
      contentType: 'application/json',
      text: `${sortedCompactJson(tx)}\n`,
    });
  });
});
