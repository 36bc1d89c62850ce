import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import type { FromSchema } from 'json-schema-to-ts';

import { fromAjvErrors, ValidationError } from './errors';
import type { PremiumRecord } from './premium-store';

/** A yearly premium: an amount in units of an ISO 4217 currency. */
export const annualPremiumSchema = {
  type: 'object',
  required: ['amount', 'currency'],
  additionalProperties: false,
  properties: { amount: { type: 'number', minimum: 0 }, currency: { type: 'string', pattern: '^[A-Z]{3}$' } },
} as const;

/**
 * The message on the `premium-changes` queue: one per stored premium, for the insurer's downstream systems.
 * Delivery is at least once (functions/insurer-premium.ts says why): consumers dedupe by `transactionId`, and
 * a car's current premium is the one of the greatest `height`.
 */
export const premiumChangeSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  type: 'object',
  required: [
    'assetId',
    'transactionId',
    'height',
    'driverId',
    'driverPublicKey',
    'annualPremium',
    'status',
    'computedAt',
  ],
  additionalProperties: false,
  properties: {
    /** The car's asset id. */
    assetId: { type: 'string', pattern: '^[0-9a-f]{64}$' },
    /** The lease TRANSFER priced. */
    transactionId: { type: 'string', pattern: '^[0-9a-f]{64}$' },
    /** Height of the block that committed the lease. */
    height: { type: 'integer', minimum: 0 },
    driverId: { type: 'string', minLength: 1 },
    driverPublicKey: { type: 'string', minLength: 1 },
    annualPremium: annualPremiumSchema,
    /** `referred`: the driver is unknown and an underwriter must confirm the premium. */
    status: { type: 'string', enum: ['quoted', 'referred'] },
    /** When the premium was computed, ISO 8601. */
    computedAt: { type: 'string', format: 'date-time' },
  },
} as const;

/** A premium-changes message, as {@link premiumChangeSchema} describes it. */
export type PremiumChange = FromSchema<typeof premiumChangeSchema>;

const ajv = new Ajv();
addFormats(ajv, ['date-time']);
const isPremiumChange = ajv.compile<PremiumChange>(premiumChangeSchema);

/** The message announcing a stored premium. */
export function premiumChangeOf(record: PremiumRecord): PremiumChange {
  const { assetId, transactionId, height, driverId, driverPublicKey, annualPremium, status, computedAt } = record;
  return {
    assetId,
    transactionId,
    height,
    driverId,
    driverPublicKey,
    annualPremium: { ...annualPremium },
    status,
    computedAt,
  };
}

/** The queue message text of a change: base64 of its UTF-8 JSON, as every queue message of this app. */
export function encodePremiumChange(change: PremiumChange): string {
  return Buffer.from(JSON.stringify(change), 'utf8').toString('base64');
}

/**
 * Reads a raw `premium-changes` message back (for consumers and tools).
 *
 * @throws ValidationError with rule `json` when the text is not base64 of JSON, otherwise naming the first
 * offending field and its rule.
 */
export function decodePremiumChange(base64Text: string): PremiumChange {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(base64Text, 'base64').toString('utf8'));
  } catch {
    throw new ValidationError({ message: 'premium change is not base64 of JSON', field: '', rule: 'json' });
  }
  if (!isPremiumChange(value)) throw fromAjvErrors(isPremiumChange.errors, 'premium change');
  return value;
}
