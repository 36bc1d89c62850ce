import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import bs58 from 'bs58';

import { fromAjvErrors, ValidationError } from '../errors';
import { isValidCasNumber } from './cas-number';
import { isValidVin } from './vin';

/**
 * The one ajv instance of the leasing schemas: draft-07, strict (an unknown keyword or format is a bug),
 * first error only, and no coercion or defaults, so that a value is accepted exactly as it was sent and
 * never changed by validation.
 */
const ajv = new Ajv({ strict: true, allErrors: false, coerceTypes: false, useDefaults: false });
addFormats(ajv, ['date']);
ajv.addFormat('vin', { type: 'string', validate: isValidVin });
ajv.addFormat('cas-number', { type: 'string', validate: isValidCasNumber });
ajv.addFormat('ed25519-public-key', { type: 'string', validate: isEd25519PublicKey });

/**
 * What each format requires, in words, for error messages: ajv's own `must match format "vin"` does not tell
 * a client what a VIN must look like.
 */
const FORMAT_RULES: Readonly<Record<string, string>> = {
  date: 'must be a date (YYYY-MM-DD)',
  vin: 'must be a valid VIN (17 characters without I, O, Q, with a correct check digit)',
  'cas-number': 'must be a valid CAS number (check digit)',
  'ed25519-public-key': 'must be a base58 Ed25519 public key (32 bytes)',
};

/** A schema property holding a calendar date, `YYYY-MM-DD` (RFC 3339 full-date, a real day of the calendar). */
export const calendarDateProperty = (description: string, examples: readonly string[]) =>
  ({ type: 'string', format: 'date', description, examples }) as const;

/** Compiles `schema` with the leasing ajv instance (its formats: `date`, `vin`, `cas-number`, `ed25519-public-key`). */
export function compileLeasingSchema<T>(schema: object): ValidateFunction<T> {
  return ajv.compile<T>(schema);
}

/**
 * A {@link ValidationError} for ajv's first error, as {@link fromAjvErrors} builds it, except that a format
 * failure says what the format requires and its `rule` is the format's name (`vin`, `cas-number`, `date`,
 * `ed25519-public-key`) rather than `format`: e.g. `car registration /vin must be a valid VIN (...)`.
 */
export function toValidationError(errors: readonly ErrorObject[] | null | undefined, subject: string): ValidationError {
  const first = errors?.[0];
  const format: unknown = first?.params['format'];
  if (first?.keyword !== 'format' || typeof format !== 'string') return fromAjvErrors(errors, subject);
  const { message, field } = fromAjvErrors([{ ...first, message: FORMAT_RULES[format] ?? first.message }], subject);
  return new ValidationError({ message, field, rule: format });
}

/** Base58 (Bitcoin alphabet, BigchainDB's key encoding) of exactly 32 bytes. */
function isEd25519PublicKey(text: string): boolean {
  try {
    return bs58.decode(text).length === 32;
  } catch {
    return false;
  }
}
