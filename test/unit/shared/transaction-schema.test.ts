import { LosslessNumber } from 'lossless-json';

import { InvalidTransactionError, type InvalidTransactionErrorProperties } from '../../../shared/errors';
import type { JsonObject, JsonValue } from '../../../shared/transaction/json-value';
import { parseJson } from '../../../shared/transaction/json-value';
import { transactionSchemas, validateTransactionSchema } from '../../../shared/transaction/transaction-schema';

const ALICE = '4K9sWUMFwTgaDGPfdynrbxWqWS6sWmKbZoTjxLtVUibD';
const BOB = 'CvJ4Sp6AGdz1NPTWnVZQt2WJxJ3qgBgXLNvYtP8XnV4v';
const CREATE_ID = '3b2e5a9ab4bba4d6dbe8e9fc25d7e2e3a1d0e5c1d3c6b8a3b3d1f0a7c9e4b2f1';
const TRANSFER_ID = '9d3f0b7c1a5e2d4f6b8a0c2e4f6a8b0d2c4e6f8a0b2d4c6e8f0a2b4d6c8e0f1a';
const FULFILLMENT =
  'pGSAIDE5i63cn4X8T8N1sZ2mGkJD5lNRnBM4PZgI_zvzbr-cgUCy4BJoP1hW9b5UVfcvI_w8QQELfFW8XmpPdzdHBfgzzu4CKpAF6iJ04fhV5eWp_GDbzMozI9sWk5RYG2nX8Jvo3Kt5Dw';
const URI = 'ni:///sha-256;Q2Mi6UxdyMnb3smSkt6cW7kAkUcGzYAgkzK2bl_u4DY?fpt=ed25519-sha-256&cost=131072';

const ed25519Output = (publicKey = ALICE, amount: JsonValue = '1'): JsonObject => ({
  condition: { details: { type: 'ed25519-sha-256', public_key: publicKey }, uri: URI },
  amount,
  public_keys: [publicKey],
});

function sampleCreate(): JsonObject {
  return {
    inputs: [{ owners_before: [ALICE], fulfills: null, fulfillment: FULFILLMENT }],
    outputs: [ed25519Output()],
    operation: 'CREATE',
    metadata: { note: 'first car' },
    asset: { data: { vin: 'WVWZZZ1JZXW000001' } },
    version: '2.0',
    id: CREATE_ID,
  };
}

function sampleTransfer(): JsonObject {
  return {
    inputs: [
      { owners_before: [ALICE], fulfills: { transaction_id: CREATE_ID, output_index: 0 }, fulfillment: FULFILLMENT },
    ],
    outputs: [ed25519Output(BOB)],
    operation: 'TRANSFER',
    metadata: null,
    asset: { id: CREATE_ID },
    version: '2.0',
    id: TRANSFER_ID,
  };
}

/** The sample CREATE with `changes` applied to its top level. */
const create = (changes: JsonObject = {}): JsonObject => ({ ...sampleCreate(), ...changes });
const transfer = (changes: JsonObject = {}): JsonObject => ({ ...sampleTransfer(), ...changes });

function rejection(transaction: JsonValue): Record<string, unknown> {
  try {
    validateTransactionSchema(transaction);
  } catch (error: unknown) {
    if (!(error instanceof InvalidTransactionError)) throw error;
    return { kind: error.kind, detail: error.detail, field: error.field, message: error.message };
  }
  throw new Error('the transaction was accepted');
}

function expected({ kind, detail, field }: InvalidTransactionErrorProperties): Record<string, unknown> {
  return { kind, detail, field, message: new InvalidTransactionError({ kind, detail, field }).message };
}

const schemaError = (detail: string, field: string): Record<string, unknown> =>
  expected({ kind: 'SchemaValidationError', detail, field });

const keyError = (key: string, object: 'asset' | 'metadata', field: string): Record<string, unknown> =>
  expected({
    kind: 'ValidationError',
    detail:
      `Invalid key name "${key}" in ${object} object. ` +
      'The key name cannot contain characters ".", "$" or null characters',
    field,
  });

const languageError = (shown: string, field: string): Record<string, unknown> =>
  expected({
    kind: 'ValidationError',
    detail:
      `MongoDB does not support text search for the language "${shown}". If you do not understand this error ` +
      'message then please rename key/field "language" to something else like "lang".',
    field,
  });

describe('validateTransactionSchema', () => {
  describe('valid transactions', () => {
    it('accepts a CREATE and a TRANSFER as the drivers shape them', () => {
      expect(() => validateTransactionSchema(create())).not.toThrow();
      expect(() => validateTransactionSchema(transfer())).not.toThrow();
    });

    it('accepts null asset data, null metadata and a null id', () => {
      const tx = create({ asset: { data: null }, metadata: null, id: null });
      expect(() => validateTransactionSchema(tx)).not.toThrow();
    });

    it('accepts outputs without owners and an empty output list, which the schema does not forbid', () => {
      const output = { ...ed25519Output(), public_keys: null };
      expect(() => validateTransactionSchema(create({ outputs: [output] }))).not.toThrow();
      expect(() => validateTransactionSchema(create({ outputs: [] }))).not.toThrow();
    });

    it('matches base58 and hex patterns anywhere in the string, as an unanchored search', () => {
      const tx = transfer({ asset: { id: `not hex: ${CREATE_ID}!` } });
      expect(() => validateTransactionSchema({ ...tx, outputs: [ed25519Output(`(${BOB})`)] })).not.toThrow();
    });

    it('accepts an unsigned input carrying condition details instead of a fulfillment string', () => {
      const fulfillment = { type: 'ed25519-sha-256', public_key: ALICE };
      const input = { owners_before: [ALICE], fulfills: null, fulfillment };
      expect(() => validateTransactionSchema(create({ inputs: [input] }))).not.toThrow();
    });

    it('accepts floats and big integers inside metadata and asset data', () => {
      const numbers = '"price":1.5,"mileage":12345678901234567890,"tax":1e-05';
      const tx = parseJson(JSON.stringify(create()).replace('"note":"first car"', numbers));
      expect((tx as { metadata: JsonObject }).metadata['price']).toBeInstanceOf(LosslessNumber);
      expect(() => validateTransactionSchema(tx)).not.toThrow();
      const data = { data: { weight: new LosslessNumber('1.0'), parts: [new LosslessNumber('2e3')] } };
      expect(() => validateTransactionSchema(create({ asset: data }))).not.toThrow();
    });

    it('accepts an output index beyond 2^53, which Python reads as an exact int', () => {
      const tx = transfer();
      tx['inputs'] = [
        {
          owners_before: [ALICE],
          fulfills: { transaction_id: CREATE_ID, output_index: new LosslessNumber('12345678901234567890') },
          fulfillment: FULFILLMENT,
        },
      ];
      expect(() => validateTransactionSchema(tx)).not.toThrow();
    });
  });

  describe('common schema messages', () => {
    it('names a missing required property, pointing at where it belongs', () => {
      const { version: _version, ...tx } = create();
      expect(rejection(tx)).toEqual(schemaError("'version' is a required property", '/version'));
    });

    it('names one unexpected top-level key', () => {
      expect(rejection(create({ foo: 1 }))).toEqual(
        schemaError("Additional properties are not allowed ('foo' was unexpected)", '/foo'),
      );
    });

    it('lists several unexpected keys in document order', () => {
      expect(rejection(create({ foo: 1, bar: 2 }))).toEqual(
        schemaError("Additional properties are not allowed ('foo', 'bar' were unexpected)", '/foo'),
      );
    });

    it('lists the allowed operations for an unknown one', () => {
      expect(rejection(create({ operation: 'FOO' }))).toEqual(
        schemaError(
          "'FOO' is not one of ['CREATE', 'TRANSFER', 'VALIDATOR_ELECTION', 'CHAIN_MIGRATION_ELECTION', 'VOTE']",
          '/operation',
        ),
      );
    });

    it('quotes a value containing a single quote with double quotes, as Python repr does', () => {
      expect(rejection(create({ operation: "it's" }))).toEqual(
        schemaError(
          `"it's" is not one of ['CREATE', 'TRANSFER', 'VALIDATOR_ELECTION', 'CHAIN_MIGRATION_ELECTION', 'VOTE']`,
          '/operation',
        ),
      );
    });

    it('prints the version pattern with its backslash doubled', () => {
      expect(rejection(create({ version: '1.0' }))).toEqual(
        schemaError("'1.0' does not match '^2\\\\.0$'", '/version'),
      );
    });

    it('rejects a numeric amount by type', () => {
      expect(rejection(create({ outputs: [ed25519Output(ALICE, 1)] }))).toEqual(
        schemaError("1 is not of type 'string'", '/outputs/0/amount'),
      );
    });

    it('rejects a non-numeric amount by pattern', () => {
      expect(rejection(create({ outputs: [ed25519Output(ALICE, 'abc')] }))).toEqual(
        schemaError("'abc' does not match '^[0-9]{1,20}$'", '/outputs/0/amount'),
      );
    });

    it('rejects empty metadata through the first branch of its anyOf', () => {
      expect(rejection(create({ metadata: {} }))).toEqual(
        schemaError('{} does not have enough properties', '/metadata'),
      );
    });

    it('rejects a float as metadata, printing it as Python does', () => {
      expect(rejection(create({ metadata: new LosslessNumber('1.50') }))).toEqual(
        schemaError("1.5 is not of type 'object'", '/metadata'),
      );
    });

    it('prefers the shallowest error when there are several', () => {
      const tx = create({ outputs: [ed25519Output(ALICE, 1)], version: '3.0' });
      expect(rejection(tx)).toEqual(schemaError("'3.0' does not match '^2\\\\.0$'", '/version'));
    });

    it('rejects a float output index, which draft-04 does not count as an integer', () => {
      const tx = transfer();
      tx['inputs'] = [
        {
          owners_before: [ALICE],
          fulfills: { transaction_id: CREATE_ID, output_index: new LosslessNumber('1.0') },
          fulfillment: FULFILLMENT,
        },
      ];
      expect(rejection(tx)).toEqual(schemaError("1.0 is not of type 'integer'", '/inputs/0/fulfills/output_index'));
    });

    it('rejects a float output index parsed from JSON text the same way', () => {
      const text = JSON.stringify(transfer()).replace('"output_index":0', '"output_index":2.50');
      expect(rejection(parseJson(text))).toEqual(
        schemaError("2.5 is not of type 'integer'", '/inputs/0/fulfills/output_index'),
      );
    });

    it('rejects a negative output index by its minimum', () => {
      const tx = transfer();
      const fulfills = { transaction_id: CREATE_ID, output_index: -1 };
      tx['inputs'] = [{ owners_before: [ALICE], fulfills, fulfillment: FULFILLMENT }];
      expect(rejection(tx)).toEqual(schemaError('-1 is less than the minimum of 0', '/inputs/0/fulfills/output_index'));
    });

    it('descends into nested anyOf branches for a fulfillment of the wrong type', () => {
      const tx = create({ inputs: [{ owners_before: [ALICE], fulfills: null, fulfillment: 123 }] });
      expect(rejection(tx)).toEqual(schemaError("123 is not of type 'object'", '/inputs/0/fulfillment'));
    });

    it('rejects a transaction that is not an object', () => {
      expect(rejection([])).toEqual(schemaError("[] is not of type 'object'", ''));
    });
  });

  describe('condition details', () => {
    const threshold = (value: JsonValue, subconditions: JsonValue[]): JsonObject => ({
      condition: { details: { type: 'threshold-sha-256', threshold: value, subconditions }, uri: URI },
      amount: '1',
      public_keys: [ALICE, BOB],
    });
    const leaf = (publicKey: string): JsonObject => ({ type: 'ed25519-sha-256', public_key: publicKey });

    it('accepts a nested threshold condition', () => {
      const nested = { type: 'threshold-sha-256', threshold: 1, subconditions: [leaf(ALICE), leaf(BOB)] };
      expect(() => validateTransactionSchema(create({ outputs: [threshold(2, [leaf(ALICE), nested])] }))).not.toThrow();
    });

    it('reports an out-of-range threshold through the ed25519 branch, as jsonschema 3.2 best_match does', () => {
      // Both branches fail one level below the details; min() keeps the first such error, the ed25519 one.
      expect(rejection(create({ outputs: [threshold(0, [leaf(ALICE)])] }))).toEqual(
        schemaError("'threshold-sha-256' does not match '^ed25519-sha-256$'", '/outputs/0/condition/details/type'),
      );
    });

    it('reports an error deep inside subconditions at its own depth', () => {
      const tx = create({ outputs: [threshold(1, [{ type: 'ed25519-sha-256', public_key: 'too short' }])] });
      expect(rejection(tx)).toEqual(
        schemaError(
          "'too short' does not match '[1-9a-zA-Z^OIl]{43,44}'",
          '/outputs/0/condition/details/subconditions/0/public_key',
        ),
      );
    });

    it('rejects the preimage condition the JS driver can build', () => {
      const output = { ...ed25519Output(), condition: { details: { type: 'preimage-sha-256', hash: 'x' }, uri: URI } };
      expect(rejection(create({ outputs: [output] }))).toEqual(
        schemaError("'preimage-sha-256' does not match '^ed25519-sha-256$'", '/outputs/0/condition/details/type'),
      );
    });
  });

  describe('CREATE and TRANSFER rules', () => {
    it('rejects a CREATE with two inputs, printing them as a Python list', () => {
      const input = { owners_before: [ALICE], fulfills: null, fulfillment: 'abc' };
      const shown = `{'owners_before': ['${ALICE}'], 'fulfills': None, 'fulfillment': 'abc'}`;
      expect(rejection(create({ inputs: [input, input] }))).toEqual(
        schemaError(`[${shown}, ${shown}] is too long`, '/inputs'),
      );
    });

    it('rejects a CREATE without inputs', () => {
      expect(rejection(create({ inputs: [] }))).toEqual(schemaError('[] is too short', '/inputs'));
    });

    it('rejects a CREATE input that spends an output', () => {
      const fulfills = { transaction_id: CREATE_ID, output_index: 0 };
      const input = { owners_before: [ALICE], fulfills, fulfillment: 'a' };
      const shown = `{'transaction_id': '${CREATE_ID}', 'output_index': 0}`;
      expect(rejection(create({ inputs: [input] }))).toEqual(
        schemaError(`${shown} is not of type 'null'`, '/inputs/0/fulfills'),
      );
    });

    it('rejects a CREATE input without a fulfills key', () => {
      const input = { owners_before: [ALICE], fulfillment: 'abc' };
      expect(rejection(create({ inputs: [input] }))).toEqual(
        schemaError("'fulfills' is a required property", '/inputs/0/fulfills'),
      );
    });

    it('rejects a CREATE asset that has an id', () => {
      expect(rejection(create({ asset: { id: CREATE_ID } }))).toEqual(
        schemaError("Additional properties are not allowed ('id' was unexpected)", '/asset/id'),
      );
    });

    it('rejects a TRANSFER asset with data', () => {
      expect(rejection(transfer({ asset: { id: CREATE_ID, data: { vin: 'x' } } }))).toEqual(
        schemaError("Additional properties are not allowed ('data' was unexpected)", '/asset/data'),
      );
      expect(rejection(transfer({ asset: { data: { vin: 'x' } } }))).toEqual(
        schemaError("Additional properties are not allowed ('data' was unexpected)", '/asset/data'),
      );
    });

    it('rejects a TRANSFER input that spends nothing', () => {
      const input = { owners_before: [ALICE], fulfills: null, fulfillment: FULFILLMENT };
      expect(rejection(transfer({ inputs: [input] }))).toEqual(
        schemaError("None is not of type 'object'", '/inputs/0/fulfills'),
      );
    });
  });

  describe('key names', () => {
    it('rejects a key starting with $ nested in arrays of metadata', () => {
      const metadata = { list: [[{ ok: 1 }], [{ nested: { $x: 1 } }]] };
      expect(rejection(create({ metadata }))).toEqual(keyError('$x', 'metadata', '/metadata/list/1/0/nested/$x'));
    });

    it('rejects a key containing a dot in asset data', () => {
      expect(rejection(create({ asset: { data: { parts: [{ 'a.b': 1 }] } } }))).toEqual(
        keyError('a.b', 'asset', '/asset/data/parts/0/a.b'),
      );
    });

    it('rejects a key containing NUL, escaping the pointer', () => {
      expect(rejection(create({ asset: { data: { 'x/y': { 'a\u0000b': true } } } }))).toEqual(
        keyError('a\u0000b', 'asset', '/asset/data/x~1y/a\u0000b'),
      );
    });

    it('allows $ after the first character', () => {
      expect(() => validateTransactionSchema(create({ metadata: { price$: 1, a$b: [{ c$: 2 }] } }))).not.toThrow();
    });

    it('checks asset keys before metadata keys', () => {
      expect(rejection(create({ asset: { data: { 'a.b': 1 } }, metadata: { $x: 1 } }))).toEqual(
        keyError('a.b', 'asset', '/asset/data/a.b'),
      );
    });
  });

  describe('language', () => {
    it('rejects a language MongoDB cannot index', () => {
      expect(rejection(create({ metadata: { language: 'klingon' } }))).toEqual(
        languageError('klingon', '/metadata/language'),
      );
    });

    it('accepts MongoDB languages, by name, code or none', () => {
      for (const language of ['en', 'none', 'english', 'tr']) {
        expect(() => validateTransactionSchema(create({ metadata: { language } }))).not.toThrow();
      }
    });

    it('finds language keys nested in arrays of asset data, printing non-strings as Python str does', () => {
      const data = { texts: [{ body: 'x', language: null }] };
      expect(rejection(create({ asset: { data } }))).toEqual(languageError('None', '/asset/data/texts/0/language'));
      const metadata = { language: { language: 'en' } };
      expect(rejection(create({ metadata }))).toEqual(languageError("{'language': 'en'}", '/metadata/language'));
    });

    it('checks key names before languages', () => {
      expect(rejection(create({ asset: { data: { language: 'klingon' } }, metadata: { 'a.b': 1 } }))).toEqual(
        keyError('a.b', 'metadata', '/metadata/a.b'),
      );
    });
  });
});

describe('transactionSchemas', () => {
  it('exposes the three draft-04 schemas, frozen', () => {
    expect(transactionSchemas.common).toMatchObject({
      $schema: 'http://json-schema.org/draft-04/schema#',
      required: ['id', 'inputs', 'outputs', 'operation', 'metadata', 'asset', 'version'],
    });
    expect(transactionSchemas.create).toMatchObject({ required: ['asset', 'inputs'] });
    expect(transactionSchemas.transfer).toMatchObject({ required: ['asset'] });
    expect(Object.isFrozen((transactionSchemas.common as { properties: object }).properties)).toBe(true);
  });
});
