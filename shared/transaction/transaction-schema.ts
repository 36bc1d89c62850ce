import Ajv, { type ValidateFunction } from 'ajv';
import { isLosslessNumber } from 'lossless-json';

import { InvalidTransactionError } from '../errors';
import { isJsonObject, type JsonValue } from './json-value';
import { bestSchemaError, type Draft4Schema, type JsonPath, jsonPointer } from './python-jsonschema';
import { pythonStr } from './python-repr';

/**
 * BigchainDB 2.2's `Transaction.validate_schema` stage (spec §3.1 b, §3.2, §4.2). Like the node, a fast
 * validator (ajv here, python-rapidjson there) decides, and only a rejected transaction is walked again the
 * way Python's jsonschema 3.2 does (draft-04, keywords in YAML file order, `best_match`) to word the message.
 */

// bigchaindb 2.2.2 `common/schema/transaction{,_create,_transfer}_v2.0.yaml`, with every mapping in file
// order: jsonschema reports errors in that order and best_match keeps the first of equally relevant ones.
const DRAFT_04 = 'http://json-schema.org/draft-04/schema#';
const ref = (name: string): Draft4Schema => ({ $ref: `#/definitions/${name}` });
const nullable = (schema: Draft4Schema): Draft4Schema => ({ anyOf: [schema, { type: 'null' }] });
const ASSET_DATA = nullable({ type: 'object', additionalProperties: true });
const OPERATIONS = ['CREATE', 'TRANSFER', 'VALIDATOR_ELECTION', 'CHAIN_MIGRATION_ELECTION', 'VOTE'];
const CONDITION_URI =
  '^ni:///sha-256;([a-zA-Z0-9_-]{0,86})[?]' +
  '(fpt=(ed25519|threshold)-sha-256(&)?|cost=[0-9]+(&)?|subtypes=ed25519-sha-256(&)?){2,3}$';
const SHA3_HEXDIGEST: Draft4Schema = { pattern: '[0-9a-f]{64}', type: 'string' };

const COMMON: Draft4Schema = {
  $schema: DRAFT_04,
  type: 'object',
  additionalProperties: false,
  title: 'Transaction Schema',
  required: ['id', 'inputs', 'outputs', 'operation', 'metadata', 'asset', 'version'],
  properties: {
    id: nullable(ref('sha3_hexdigest')),
    operation: ref('operation'),
    asset: ref('asset'),
    inputs: { type: 'array', title: 'Transaction inputs', items: ref('input') },
    outputs: { type: 'array', items: ref('output') },
    metadata: ref('metadata'),
    version: { type: 'string', pattern: '^2\\.0$' },
  },
  definitions: {
    offset: { type: 'integer', minimum: 0 },
    base58: { pattern: '[1-9a-zA-Z^OIl]{43,44}', type: 'string' },
    public_keys: nullable({ type: 'array', items: ref('base58') }),
    sha3_hexdigest: SHA3_HEXDIGEST,
    uuid4: { pattern: '[a-f0-9]{8}-[a-f0-9]{4}-4[a-f0-9]{3}-[89ab][a-f0-9]{3}-[a-f0-9]{12}', type: 'string' },
    operation: { type: 'string', enum: OPERATIONS },
    asset: { type: 'object', additionalProperties: false, properties: { id: ref('sha3_hexdigest'), data: ASSET_DATA } },
    output: {
      type: 'object',
      additionalProperties: false,
      required: ['amount', 'condition', 'public_keys'],
      properties: {
        amount: { type: 'string', pattern: '^[0-9]{1,20}$' },
        condition: {
          type: 'object',
          additionalProperties: false,
          required: ['details', 'uri'],
          properties: { details: ref('condition_details'), uri: { type: 'string', pattern: CONDITION_URI } },
        },
        public_keys: ref('public_keys'),
      },
    },
    input: {
      type: 'object',
      additionalProperties: false,
      required: ['owners_before', 'fulfillment'],
      properties: {
        owners_before: ref('public_keys'),
        fulfillment: { anyOf: [{ type: 'string', pattern: '^[a-zA-Z0-9_-]*$' }, ref('condition_details')] },
        fulfills: nullable({
          type: 'object',
          additionalProperties: false,
          required: ['output_index', 'transaction_id'],
          properties: { output_index: ref('offset'), transaction_id: ref('sha3_hexdigest') },
        }),
      },
    },
    metadata: nullable({ type: 'object', additionalProperties: true, minProperties: 1 }),
    condition_details: {
      anyOf: [
        {
          type: 'object',
          additionalProperties: false,
          required: ['type', 'public_key'],
          properties: { type: { type: 'string', pattern: '^ed25519-sha-256$' }, public_key: ref('base58') },
        },
        {
          type: 'object',
          additionalProperties: false,
          required: ['type', 'threshold', 'subconditions'],
          properties: {
            type: { type: 'string', pattern: '^threshold-sha-256$' },
            threshold: { type: 'integer', minimum: 1, maximum: 100 },
            subconditions: { type: 'array', items: ref('condition_details') },
          },
        },
      ],
    },
  },
};

const specificInputs = (fulfills: Draft4Schema, counts: Draft4Schema): Draft4Schema => ({
  type: 'array',
  title: 'Transaction inputs',
  ...counts,
  items: { type: 'object', required: ['fulfills'], properties: { fulfills } },
});

const CREATE: Draft4Schema = {
  $schema: DRAFT_04,
  type: 'object',
  title: 'Transaction Schema - CREATE specific constraints',
  required: ['asset', 'inputs'],
  properties: {
    asset: { additionalProperties: false, properties: { data: ASSET_DATA }, required: ['data'] },
    inputs: specificInputs({ type: 'null' }, { maxItems: 1, minItems: 1 }),
  },
};

const TRANSFER: Draft4Schema = {
  $schema: DRAFT_04,
  type: 'object',
  title: 'Transaction Schema - TRANSFER specific properties',
  required: ['asset'],
  properties: {
    asset: { additionalProperties: false, properties: { id: ref('sha3_hexdigest') }, required: ['id'] },
    inputs: specificInputs({ type: 'object' }, { minItems: 1 }),
  },
  definitions: { sha3_hexdigest: SHA3_HEXDIGEST },
};

/** The v2.0 schemas (draft-04) as JSON objects, for reuse (e.g. an OpenAPI document later). Deeply frozen. */
export const transactionSchemas: { readonly common: object; readonly create: object; readonly transfer: object } =
  deepFreeze({ common: COMMON, create: CREATE, transfer: TRANSFER });

function deepFreeze<T extends object>(value: T): T {
  for (const member of Object.values(value)) if (typeof member === 'object' && member !== null) deepFreeze(member);
  return Object.freeze(value);
}

interface Stage {
  readonly schema: Draft4Schema;
  readonly isValid: ValidateFunction;
}

// ajv 8 has no draft-04 meta-schema. Without `$schema` it applies draft-07, which agrees with draft-04 on
// every keyword used here; draft-04's `integer` rejecting `1.0` holds because json-value keeps `1.0` a
// LosslessNumber, which ajv never takes for a number.
const ajv = new Ajv({ strictTypes: false });
const stage = (schema: Draft4Schema): Stage => {
  const { $schema: _draft04, ...forAjv } = schema;
  return { schema, isValid: ajv.compile(forAjv) };
};
const [COMMON_STAGE, CREATE_STAGE, TRANSFER_STAGE] = [COMMON, CREATE, TRANSFER].map(stage) as [Stage, Stage, Stage];

/**
 * Runs BigchainDB's `validate_schema` stage on a transaction whose id has already been checked: the v2.0 JSON
 * schema (common, then CREATE- or TRANSFER-specific; every operation but `TRANSFER` gets the CREATE rules, as
 * on the node), then key names in asset.data and metadata, then `language` values.
 *
 * @throws InvalidTransactionError (kind SchemaValidationError with the Python jsonschema message, or
 * ValidationError for key names / language), with `field` the JSON pointer of the offending part.
 */
export function validateTransactionSchema(transaction: JsonValue): void {
  checkStage(COMMON_STAGE, transaction);
  if (!isJsonObject(transaction)) return; // unreachable: the common schema requires an object
  checkStage(transaction['operation'] === 'TRANSFER' ? TRANSFER_STAGE : CREATE_STAGE, transaction);
  const asset = transaction['asset'];
  const assetData = isJsonObject(asset) ? asset['data'] : undefined;
  const metadata = transaction['metadata'];
  checkKeyNames('asset', assetData, ['asset', 'data']);
  checkKeyNames('metadata', metadata, ['metadata']);
  checkLanguages(assetData, ['asset', 'data']);
  checkLanguages(metadata, ['metadata']);
}

function checkStage({ schema, isValid }: Stage, transaction: JsonValue): void {
  if (isValid(transaction) && !hasLosslessPayload(transaction)) return;
  const error = bestSchemaError(schema, transaction);
  // None means ajv rejected what Python accepts: an integer beyond 2^53, kept as a LosslessNumber.
  if (error === undefined) return;
  throw new InvalidTransactionError({ kind: 'SchemaValidationError', detail: error.message, field: error.field });
}

// ajv takes a LosslessNumber for an object. Where the schema names an object's properties that fails anyway
// (the instance's own `value` key is extra); only `asset.data` and `metadata` accept any object.
function hasLosslessPayload(transaction: JsonValue): boolean {
  if (!isJsonObject(transaction)) return false;
  const asset = transaction['asset'];
  return isLosslessNumber(transaction['metadata']) || (isJsonObject(asset) && isLosslessNumber(asset['data']));
}

// ---- common/utils.py validate_txn_obj(validate_key), backend/schema.py validate_language_key ----

const INVALID_KEY = /^\$|[.\0]/;

// backend/schema.py VALID_LANGUAGES
const VALID_LANGUAGES: ReadonlySet<string> = new Set([
  ...'danish dutch english finnish french german hungarian italian norwegian portuguese'.split(' '),
  ...'romanian russian spanish swedish turkish none da nl en fi fr de hu it nb pt ro ru es sv tr'.split(' '),
]);

/**
 * Every key, depth first through nested objects and arrays, must be storable in MongoDB. `path` is a stack
 * (pushed and popped) so that the usual, valid walk allocates nothing.
 */
function checkKeyNames(name: 'asset' | 'metadata', value: JsonValue | undefined, path: (string | number)[]): void {
  if (Array.isArray(value)) {
    for (let index = 0; index < value.length; index++) {
      path.push(index);
      checkKeyNames(name, value[index], path);
      path.pop();
    }
  } else if (isJsonObject(value)) {
    for (const key in value) {
      path.push(key);
      if (INVALID_KEY.test(key)) throw keyNameError(name, key, path);
      const member = value[key];
      if (typeof member === 'object' && member !== null) checkKeyNames(name, member, path);
      path.pop();
    }
  }
}

function keyNameError(name: string, key: string, path: JsonPath): InvalidTransactionError {
  const detail =
    `Invalid key name "${key}" in ${name} object. ` +
    'The key name cannot contain characters ".", "$" or null characters';
  return new InvalidTransactionError({ kind: 'ValidationError', detail, field: jsonPointer(path) });
}

/** Every nested `language` key must name a MongoDB text-search language; the node looks no deeper inside it. */
function checkLanguages(value: JsonValue | undefined, path: (string | number)[]): void {
  if (Array.isArray(value)) {
    for (let index = 0; index < value.length; index++) {
      path.push(index);
      checkLanguages(value[index], path);
      path.pop();
    }
  } else if (isJsonObject(value)) {
    for (const key in value) {
      path.push(key);
      const member = value[key] as JsonValue;
      if (key !== 'language') {
        if (typeof member === 'object' && member !== null) checkLanguages(member, path);
      } else if (typeof member !== 'string' || !VALID_LANGUAGES.has(member)) throw languageError(member, path);
      path.pop();
    }
  }
}

function languageError(language: JsonValue, path: JsonPath): InvalidTransactionError {
  const detail =
    `MongoDB does not support text search for the language "${pythonStr(language)}". If you do not understand ` +
    'this error message then please rename key/field "language" to something else like "lang".';
  return new InvalidTransactionError({ kind: 'ValidationError', detail, field: jsonPointer(path) });
}
