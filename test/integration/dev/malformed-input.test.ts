import type { DevNode } from '../../../dev/bigchaindb/dev-node';
import type { JsonObject, JsonValue } from '../../../shared/transaction/json-value';
import { generateKeyPair } from '../../../shared/transaction/signing';
import { computeTransactionId } from '../../../shared/transaction/transaction-hash';
import { startTestNode } from '../../helpers/dev-node';
import { createTransaction, outputTo, postRaw, transferTransaction } from '../../helpers/transactions';

// Bad input never crashes the node and never gets anything but a clear 400: every part of a valid
// transaction replaced by a value of the wrong type, with the id recomputed so that the checks
// behind the id check run too.

let node: DevNode;

beforeAll(async () => {
  node = await startTestNode();
});

afterAll(() => node.close());

const WRONG_VALUES: JsonValue[] = [null, 0, -1, 1.5, '', 'x', true, [], {}, [null], { a: null }];

/** Every path into a JSON value, with the value's parent and key, depth first. */
function* paths(value: JsonValue, path: (string | number)[] = []): Generator<(string | number)[]> {
  if (path.length > 0) yield path;
  if (Array.isArray(value)) for (let i = 0; i < value.length; i++) yield* paths(value[i] as JsonValue, [...path, i]);
  else if (value !== null && typeof value === 'object')
    for (const key of Object.keys(value)) yield* paths((value as JsonObject)[key] as JsonValue, [...path, key]);
}

function replaced(value: JsonValue, path: (string | number)[], replacement: JsonValue): JsonValue {
  const copy = structuredClone(value) as JsonObject;
  let parent = copy as unknown as Record<string | number, JsonValue>;
  for (const key of path.slice(0, -1)) parent = parent[key] as unknown as Record<string | number, JsonValue>;
  parent[path.at(-1) as string | number] = replacement;
  return copy;
}

function withFreshId(body: JsonValue): JsonValue {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return body;
  try {
    const object = body as JsonObject;
    return { ...object, id: computeTransactionId(object) };
  } catch {
    return body; // not hashable (that is one of the inputs under test)
  }
}

describe('every part of a transaction replaced by a value of the wrong type', () => {
  const alice = generateKeyPair();
  const bob = generateKeyPair();
  const created = createTransaction(
    alice,
    { vin: 'WVWZZZ1KZAW000042', parts: [{ name: 'battery', cas: '7439-93-2' }] },
    { note: 'x' },
  );
  const transfer = transferTransaction([{ tx: created, outputIndex: 0 }], [outputTo(bob)], [alice], { lease: 1 });

  test.each([
    ['CREATE', created],
    ['TRANSFER', transfer],
  ])('gets 400 with a message for every variant of a %s, and never a 5xx', async (_kind, valid) => {
    if (_kind === 'TRANSFER') await postRaw(node.apiUrl, created, 'commit');
    const outcomes = new Map<string, number>();
    // Variants of the id itself are the id check's business (rejections.test.ts); re-hashing them would make them valid.
    for (const path of [...paths(valid as JsonValue)].filter(([first]) => first !== 'id')) {
      const original = JSON.stringify(path.reduce<unknown>((at, key) => (at as Record<string, unknown>)[key], valid));
      for (const wrong of WRONG_VALUES.filter((value) => JSON.stringify(value) !== original)) {
        const body = withFreshId(replaced(valid as JsonValue, path, wrong));
        const { status, body: reply } = await postRaw(node.apiUrl, body, 'sync');
        const message = (reply as { message?: unknown }).message;
        outcomes.set(`${path.join('/')} = ${JSON.stringify(wrong)}`, status);
        if (status !== 400 || (typeof message !== 'string' && typeof message !== 'object')) {
          throw new Error(`${path.join('/')} = ${JSON.stringify(wrong)} answered ${status} ${JSON.stringify(reply)}`);
        }
      }
    }
    expect(outcomes.size).toBeGreaterThan(200);
    expect(new Set(outcomes.values())).toEqual(new Set([400]));
  });
});

describe('pathological documents', () => {
  test.each([5_000, 100_000])('metadata nested %i levels deep is refused with a 400, not a crash', async (depth) => {
    const tx = createTransaction(generateKeyPair(), { car: 'deep' });
    const deep = `${'{"d":'.repeat(depth)}"bottom"${'}'.repeat(depth)}`;
    const text = JSON.stringify({ ...tx, metadata: 'DEEP' }).replace('"DEEP"', deep);

    const { status } = await postRaw(node.apiUrl, text, 'sync');

    expect(status).toBe(400);
  });

  test.each([
    ['random bytes', Buffer.from([0xff, 0xfe, 0x00, 0x81, 0x7b]).toString('latin1')],
    ['a bare string', '"transaction"'],
    ['null', 'null'],
    ['an unterminated object', '{"id": "abc", "inputs": ['],
    ['NaN', '{"id": NaN}'],
  ])('a body of %s is refused with a 400', async (_what, text) => {
    const response = await fetch(`${node.apiUrl}transactions`, { method: 'POST', body: text });
    expect(response.status).toBe(400);
    expect(JSON.parse(await response.text())).toHaveProperty('message');
  });

  test('the node still serves after all of the above', async () => {
    expect((await fetch(`${node.url}/`)).status).toBe(200);
  });
});
