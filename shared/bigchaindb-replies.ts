import Ajv from 'ajv';
import type { FromSchema } from 'json-schema-to-ts';

// The shapes of BigchainDB's HTTP API v1 replies that the client relies on (spec §2), as ajv validators whose
// TypeScript types are derived from the schemas, so the check and the type cannot drift.

const HEX64 = { type: 'string', pattern: '^[0-9a-f]{64}$' } as const;

const infoSchema = {
  type: 'object',
  required: ['version', 'api'],
  properties: {
    version: { type: 'string' },
    api: {
      type: 'object',
      required: ['v1'],
      properties: {
        v1: { type: 'object', required: ['streams'], properties: { streams: { type: 'string', pattern: '^wss?://' } } },
      },
    },
  },
} as const;

const blockSchema = {
  type: 'object',
  required: ['height', 'transactions'],
  properties: {
    height: { type: 'integer', minimum: 0 },
    transactions: {
      type: 'array',
      items: {
        type: 'object',
        required: ['id', 'operation', 'asset'],
        properties: { id: HEX64, operation: { type: 'string' }, asset: { type: 'object' } },
        if: { type: 'object', required: ['operation'], properties: { operation: { const: 'TRANSFER' } } },
        then: {
          type: 'object',
          properties: { asset: { type: 'object', required: ['id'], properties: { id: HEX64 } } },
        },
      },
    },
  },
} as const;

const transactionSchema = { type: 'object' } as const;
const transactionListSchema = { type: 'array', items: transactionSchema } as const;
const assetListSchema = {
  type: 'array',
  items: { type: 'object', required: ['id', 'data'], properties: { id: HEX64, data: {} } },
} as const;
const heightListSchema = { type: 'array', items: { type: 'integer', minimum: 0 } } as const;

/** A transaction of a `GET /blocks/{height}` reply, as {@link isBlock} accepts it. */
export type BlockReplyTransaction = FromSchema<typeof blockSchema>['transactions'][number];

const ajv = new Ajv();
/** `GET /`: a version and a `ws://` or `wss://` Event Stream URL. */
export const isInfo = ajv.compile<FromSchema<typeof infoSchema>>(infoSchema);
/** `GET /blocks/{height}`: a height and its transactions; every TRANSFER has a 64-hex `asset.id`. */
export const isBlock = ajv.compile<FromSchema<typeof blockSchema>>(blockSchema);
/** `GET /transactions/{id}`: any object. */
export const isTransaction = ajv.compile<FromSchema<typeof transactionSchema>>(transactionSchema);
/** `GET /transactions?asset_id=`: an array of objects. */
export const isTransactionList = ajv.compile<FromSchema<typeof transactionListSchema>>(transactionListSchema);
/** `GET /blocks?transaction_id=`: an array of non-negative integers. */
export const isHeightList = ajv.compile<FromSchema<typeof heightListSchema>>(heightListSchema);
/** `GET /assets?search=`: an array of `{ id, data }`. */
export const isAssetList = ajv.compile<FromSchema<typeof assetListSchema>>(assetListSchema);
