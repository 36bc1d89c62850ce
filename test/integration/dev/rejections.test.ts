import { Transaction } from 'bigchaindb-driver';

import type { DevNode } from '../../../dev/bigchaindb/dev-node';
import type { JsonObject } from '../../../shared/transaction/json-value';
import { generateKeyPair, type KeyPair, signTransaction } from '../../../shared/transaction/signing';
import { computeTransactionId } from '../../../shared/transaction/transaction-hash';
import { startTestNode } from '../../helpers/dev-node';
import { raw, type RawResponse } from '../../helpers/raw-response';
import { createTransaction, outputTo, type SignedTransaction, transferTransaction } from '../../helpers/transactions';

// What the dev node refuses, over real HTTP, with BigchainDB 2.2's exact status lines and bodies
// (spec §1.4, §2.3, §3), and proof that a refused request changed nothing.

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

function get(path: string, target: DevNode = node): Promise<RawResponse> {
  return fetch(`${target.apiUrl}${path}`).then(raw);
}

/** POSTs a value as JSON (or a string as it is) to `/transactions`, in `commit` mode unless told. */
function post(body: unknown, mode = 'commit', target: DevNode = node): Promise<RawResponse> {
  return fetch(`${target.apiUrl}transactions?mode=${mode}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  }).then(raw);
}

/** A `make_error` body as Flask's `jsonify` writes it (sorted keys, compact, trailing newline). */
function makeErrorText(message: string, status: number): string {
  return `${JSON.stringify({ message, status })}\n`;
}

function badRequest(message: string): RawResponse {
  return { status: 400, statusText: 'BAD REQUEST', contentType: 'application/json', text: makeErrorText(message, 400) };
}

/** The 400 of a transaction that fails a check: `Invalid transaction (<kind>): <detail>`. */
function invalid(kind: string, detail: string): RawResponse {
  return badRequest(`Invalid transaction (${kind}): ${detail}`);
}

function schemaError(detail: string): RawResponse {
  return badRequest(`Invalid transaction schema: ${detail}`);
}

const INVALID_SIGNATURE = invalid('InvalidSignature', 'Transaction signature is invalid.');

/** A flask-restful resource body with Python's default separators. */
function resourceText(text: string, status = 200): RawResponse {
  const statusText = status === 200 ? 'OK' : 'BAD REQUEST';
  return { status, statusText, contentType: 'application/json', text: `${text}\n` };
}

const NOT_FOUND: RawResponse = {
  status: 404,
  statusText: 'NOT FOUND',
  contentType: 'application/json',
  text: '{"message":"Not found","status":404}\n',
};

async function commit(tx: SignedTransaction): Promise<void> {
  const response = await post(tx, 'commit');
  expect(response.status).toBe(202);
}

/** The same transaction with its id recomputed, so that the id check passes and later checks run. */
function withRecomputedId(tx: Record<string, unknown>): Record<string, unknown> {
  return { ...tx, id: computeTransactionId(tx as JsonObject) };
}

function outputsText(outputs: [string, number][]): RawResponse {
  const items = outputs.map(([id, index]) => `{"transaction_id": "${id}", "output_index": ${index}}`);
  return resourceText(`[${items.join(', ')}]`);
}

/**
 * Asserts the response, then that the node neither stored the transaction nor made a block. Posts in
 * `commit` mode, where an accepted transaction is readable by the time the reply arrives, so the
 * 404 afterwards proves it was refused rather than not yet committed.
 */
async function expectRejected(
  body: object,
  expected: RawResponse,
  id = String((body as { id?: unknown }).id),
  mode = 'commit',
): Promise<void> {
  const heightBefore = node.latestHeight;
  expect(await post(body, mode)).toEqual(expected);
  expect(await get(`transactions/${id}`)).toEqual(NOT_FOUND);
  expect(node.latestHeight).toBe(heightBefore);
}

describe('POST /api/v1/transactions: ledger checks', () => {
  test('spending an output a committed TRANSFER already spent is a DoubleSpend naming the spent transaction', async () => {
    const carol = generateKeyPair();
    const created = createTransaction(alice, { car: 'double spend' });
    await commit(created);
    await commit(transferTransaction([{ tx: created, outputIndex: 0 }], [outputTo(bob)], [alice]));
    const secondSpend = transferTransaction([{ tx: created, outputIndex: 0 }], [outputTo(carol)], [alice]);

    await expectRejected(secondSpend, invalid('DoubleSpend', `input \`${created.id}\` was already spent`));
    expect(await get(`outputs?public_key=${carol.publicKey}`)).toEqual(resourceText('[]'));
  });

  test('re-posting a committed TRANSFER is a DoubleSpend, not a duplicate', async () => {
    const created = createTransaction(alice, { car: 'transfer posted again' });
    await commit(created);
    const transfer = transferTransaction([{ tx: created, outputIndex: 0 }], [outputTo(bob)], [alice]);
    await commit(transfer);
    const height = node.latestHeight;

    expect(await post(transfer)).toEqual(invalid('DoubleSpend', `input \`${created.id}\` was already spent`));
    expect(await get(`blocks?transaction_id=${transfer.id}`)).toEqual(resourceText(`[${height}]`));
    expect(node.latestHeight).toBe(height);
  });

  test('re-posting a committed CREATE is a DuplicateTransaction and leaves it in its one block', async () => {
    const created = createTransaction(alice, { car: 'duplicate' });
    await commit(created);
    const height = node.latestHeight;

    expect(await post(created)).toEqual(
      invalid('DuplicateTransaction', `transaction \`${created.id}\` already exists`),
    );
    expect(await get(`blocks?transaction_id=${created.id}`)).toEqual(resourceText(`[${height}]`));
    expect(node.latestHeight).toBe(height);
  });

  test('a TRANSFER whose outputs hold more than its inputs is an AmountError naming both sums', async () => {
    const created = createTransaction(alice, { car: 'divisible' }, null, [outputTo(alice, '3')]);
    await commit(created);
    const transfer = transferTransaction([{ tx: created, outputIndex: 0 }], [outputTo(bob, '4')], [alice]);

    await expectRejected(
      transfer,
      invalid(
        'AmountError',
        'The amount used in the inputs `3` needs to be same as the amount used in the outputs `4`',
      ),
    );
    expect(await get(`outputs?public_key=${alice.publicKey}&spent=false`)).toEqual(outputsText([[created.id, 0]]));
  });

  test('a TRANSFER of a transaction that was never committed is InputDoesNotExist', async () => {
    const neverPosted = createTransaction(alice, { car: 'never posted' });
    const transfer = transferTransaction([{ tx: neverPosted, outputIndex: 0 }], [outputTo(bob)], [alice]);

    await expectRejected(transfer, invalid('InputDoesNotExist', `input \`${neverPosted.id}\` doesn't exist`));
  });

  test('the previous owner signing a TRANSFER of an output it gave away is an InvalidSignature', async () => {
    const created = createTransaction(alice, { car: 'given away' });
    await commit(created);
    const toBob = transferTransaction([{ tx: created, outputIndex: 0 }], [outputTo(bob)], [alice]);
    await commit(toBob);
    const unsigned = Transaction.makeTransferTransaction(
      [{ tx: toBob as never, output_index: 0 }],
      [outputTo(alice)],
      null as never,
    );
    // Signed by alice for a condition of her own key, while the spent output names bob's.
    const theft = signTransaction(unsigned, [alice], [{ type: 'ed25519-sha-256', public_key: alice.publicKey }]);

    await expectRejected(theft, INVALID_SIGNATURE);
    expect(await get(`outputs?public_key=${bob.publicKey}&spent=false`)).toEqual(outputsText([[toBob.id, 0]]));
  });
});

describe('POST /api/v1/transactions: stateless checks', () => {
  test('a fulfillment with one character changed (and the id recomputed) is an InvalidSignature', async () => {
    const created = createTransaction(alice, { car: 'tampered' });
    const [input] = created.inputs;
    const fulfillment = String(input?.['fulfillment']);
    // Position 100 lies inside the 64-byte signature of the 136-character Ed25519 fulfillment (spec §4.6).
    const flipped = `${fulfillment.slice(0, 100)}${fulfillment[100] === 'A' ? 'B' : 'A'}${fulfillment.slice(101)}`;
    const tampered = withRecomputedId({ ...created, inputs: [{ ...input, fulfillment: flipped }] });

    await expectRejected(tampered, INVALID_SIGNATURE);
  });

  test('an id that is not the hash of the body is an InvalidHash quoting the sent id', async () => {
    const created = createTransaction(alice, { car: 'wrong id' });
    const wrongId = 'f'.repeat(64);

    await expectRejected(
      { ...created, id: wrongId },
      invalid(
        'InvalidHash',
        `The transaction's id '${wrongId}' isn't equal to the hash of its body, i.e. it's not valid.`,
      ),
      created.id,
    );
  });

  test('a transaction without an id is an InvalidHash', async () => {
    const { id, ...withoutId } = createTransaction(alice, { car: 'no id' });

    await expectRejected(withoutId, invalid('InvalidHash', 'No transaction id found!'), id);
  });

  test('a transaction without a version fails the schema (the id being right)', async () => {
    const { version: _version, ...withoutVersion } = createTransaction(alice, { car: 'no version' });
    const tx = withRecomputedId(withoutVersion);

    await expectRejected(tx, schemaError("'version' is a required property"));
  });

  test('an extra top-level key fails the schema', async () => {
    const tx = withRecomputedId({ ...createTransaction(alice, { car: 'extra key' }), foo: 1 });

    await expectRejected(tx, schemaError("Additional properties are not allowed ('foo' was unexpected)"));
  });

  test('a numeric output amount fails the schema', async () => {
    const created = createTransaction(alice, { car: 'numeric amount' });
    const tx = withRecomputedId({ ...created, outputs: [{ ...created.outputs[0], amount: 1 }] });

    await expectRejected(tx, schemaError("1 is not of type 'string'"));
  });

  test('empty metadata fails the schema', async () => {
    const tx = withRecomputedId({ ...createTransaction(alice, { car: 'empty metadata' }), metadata: {} });

    await expectRejected(tx, schemaError('{} does not have enough properties'));
  });

  test('an output amount of "0" is an AmountError', async () => {
    const tx = createTransaction(alice, { car: 'zero' }, null, [outputTo(alice, '0')]);

    await expectRejected(tx, invalid('AmountError', '`amount` must be greater than 0'));
  });

  test('a metadata key containing a dot is refused with the key named', async () => {
    const tx = createTransaction(alice, { car: 'dotted key' }, { 'a.b': 1 });

    await expectRejected(
      tx,
      invalid(
        'ValidationError',
        'Invalid key name "a.b" in metadata object. The key name cannot contain characters ".", "$" or null characters',
      ),
    );
  });

  test('a language that MongoDB cannot index is refused', async () => {
    const tx = createTransaction(alice, { car: 'klingon', language: 'klingon' });

    await expectRejected(
      tx,
      invalid(
        'ValidationError',
        'MongoDB does not support text search for the language "klingon". If you do not understand this error ' +
          'message then please rename key/field "language" to something else like "lang".',
      ),
    );
  });
});

describe('POST /api/v1/transactions: requests the node cannot take', () => {
  test.each([
    ['truncated JSON', '{"id": '],
    ['empty', ''],
  ])("a body that is %s gets Werkzeug's BadRequest message", async (_kind, body) => {
    expect(await post(body)).toEqual(
      resourceText('{"message": "The browser (or proxy) sent a request that this server could not understand."}', 400),
    );
  });

  test.each([
    ['an array', '[1, 2]'],
    ['a number', '42'],
  ])('a JSON body that is %s is refused as not being an object', async (_kind, body) => {
    const heightBefore = node.latestHeight;

    expect(await post(body)).toEqual(invalid('ValidationError', 'The transaction must be a JSON object'));
    expect(node.latestHeight).toBe(heightBefore);
  });

  test('an unknown mode is a reqparse error on "mode"', async () => {
    const tx = createTransaction(alice, { car: 'fast mode' });

    const modeError = resourceText(
      '{"message": {"mode": "Mode must be \\"async\\", \\"sync\\" or \\"commit\\""}}',
      400,
    );

    await expectRejected(tx, modeError, tx.id, 'fast');
  });

  test('a body of 1,000,000 bytes is accepted, one byte more gets 413, and the node keeps serving', async () => {
    const padded = (tx: SignedTransaction, bytes: number): string => {
      const json = JSON.stringify(tx);
      return `${json}${' '.repeat(bytes - Buffer.byteLength(json))}`;
    };
    const atLimit = createTransaction(alice, { car: 'at the limit' });
    const overLimit = createTransaction(alice, { car: 'over the limit' });

    expect((await post(padded(atLimit, 1_000_000))).status).toBe(202);
    expect(await post(padded(overLimit, 1_000_001))).toEqual({
      status: 413,
      statusText: 'REQUEST ENTITY TOO LARGE',
      contentType: 'application/json',
      text: makeErrorText('Request body too large: the limit is 1000000 bytes', 413),
    });
    expect(await get(`transactions/${overLimit.id}`)).toEqual(NOT_FOUND);
    const after = createTransaction(alice, { car: 'after the oversized body' });
    expect((await post(after)).status).toBe(202);
    expect((await get(`transactions/${after.id}`)).status).toBe(200);
  });
});

describe('POST /api/v1/transactions: the same transaction twice before its block', () => {
  let heldNode: DevNode;

  beforeAll(async () => {
    heldNode = await startTestNode();
  });

  afterAll(() => heldNode.close());

  test('the second async post gets 400 "Tx already exists in cache" and the transaction is stored once', async () => {
    const created = createTransaction(alice, { car: 'posted twice' });

    heldNode.blocks.hold();
    const responses = await Promise.all([post(created, 'async', heldNode), post(created, 'async', heldNode)]);
    heldNode.blocks.release();
    // A commit-mode post of another transaction returns once the pending block is made.
    const other = createTransaction(alice, { car: 'same block' });
    expect((await post(other, 'commit', heldNode)).status).toBe(202);

    expect(responses.map(({ status }) => status).sort()).toEqual([202, 400]);
    expect(responses.find(({ status }) => status === 400)).toEqual(
      badRequest('Internal error - Tx already exists in cache'),
    );
    expect((await get(`blocks?transaction_id=${created.id}`, heldNode)).text).toMatch(/^\[\d+\]\n$/);
    const listed = await get(`transactions?asset_id=${created.id}`, heldNode);
    expect(JSON.parse(listed.text)).toEqual([created]);
  });

  test('the second commit-mode post gets the broadcastTxCommit variant while the first waits for its block', async () => {
    const created = createTransaction(alice, { car: 'committed twice' });

    heldNode.blocks.hold();
    const posts = [post(created, 'commit', heldNode), post(created, 'commit', heldNode)];
    // The second to arrive is refused at once; the first waits for the held block.
    await Promise.race(posts);
    heldNode.blocks.release();
    const responses = await Promise.all(posts);

    expect(responses.map(({ status }) => status).sort()).toEqual([202, 400]);
    expect(responses.find(({ status }) => status === 400)).toEqual(
      badRequest('Internal error - Error on broadcastTxCommit: Tx already exists in cache'),
    );
    const blocks = await get(`blocks?transaction_id=${created.id}`, heldNode);
    expect(blocks).toEqual(resourceText(`[${heldNode.latestHeight}]`));
  });
});

describe('GET argument errors', () => {
  const missing = 'Missing required parameter in the JSON body or the post body or the query string';
  const someHash = 'a'.repeat(64);

  test.each([
    ['/transactions without asset_id', 'transactions', `{"message": {"asset_id": "${missing}"}}`],
    ['/transactions?asset_id=xyz', 'transactions?asset_id=xyz', '{"message": {"asset_id": "Invalid hash"}}'],
    [
      '/transactions?operation=burn',
      `transactions?asset_id=${someHash}&operation=burn`,
      '{"message": {"operation": "Operation must be \\"CREATE\\" or \\"TRANSFER\\""}}',
    ],
    [
      '/transactions?last_tx=maybe',
      `transactions?asset_id=${someHash}&last_tx=maybe`,
      '{"message": {"last_tx": "Boolean value must be \\"true\\" or \\"false\\" (lowercase)"}}',
    ],
    ['/outputs?public_key=bad', 'outputs?public_key=bad', '{"message": {"public_key": "Invalid base58 ed25519 key"}}'],
    [
      '/assets?limit=abc',
      'assets?search=x&limit=abc',
      `{"message": {"limit": "invalid literal for int() with base 10: 'abc'"}}`,
    ],
    ['/blocks?status=valid', 'blocks?transaction_id=x&status=valid', '{"message": "Unknown arguments: status"}'],
    ['/blocks without transaction_id', 'blocks', `{"message": {"transaction_id": "${missing}"}}`],
  ])('GET %s is a 400 naming the argument', async (_label, path, body) => {
    expect(await get(path)).toEqual(resourceText(body, 400));
  });

  test('GET /api/v1/outputs with an undeclared argument names it as unknown', async () => {
    const response = await get(`outputs?public_key=${generateKeyPair().publicKey}&foo=1`);

    expect(response).toEqual(resourceText('{"message": "Unknown arguments: foo"}', 400));
  });

  test('GET /api/v1/assets with an empty search is a make_error 400', async () => {
    expect(await get('assets?search=')).toEqual(badRequest('text_search cannot be empty'));
  });
});
