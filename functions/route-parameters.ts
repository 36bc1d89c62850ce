import type { HttpRequest } from '@azure/functions';
import bs58 from 'bs58';

import { ValidationError } from '../shared/errors';

// Route and query parameters are named in errors by their own name (`assetId`, `mode`), where body fields are
// JSON pointers (`/vin`).

/** The `{assetId}` route parameter: a CREATE transaction id, 64 lowercase hex characters. */
export function assetIdParameter(request: HttpRequest): string {
  const assetId = request.params['assetId'] ?? '';
  if (!/^[0-9a-f]{64}$/.test(assetId)) {
    throw new ValidationError({
      message: 'assetId must be a transaction id: 64 lowercase hex characters',
      field: 'assetId',
      rule: 'pattern',
    });
  }
  return assetId;
}

/**
 * An optional query parameter restricted to `allowed` values, `fallback` when absent.
 *
 * @throws ValidationError (rule `enum`) naming the parameter and the allowed values.
 */
export function enumQueryParameter<T extends string>(
  request: HttpRequest,
  name: string,
  allowed: readonly T[],
  fallback: T,
): T {
  const value = request.query.get(name);
  if (value === null) return fallback;
  if ((allowed as readonly string[]).includes(value)) return value as T;
  const list = allowed.map((item) => JSON.stringify(item)).join(', ');
  throw new ValidationError({ message: `${name} must be one of ${list}`, field: name, rule: 'enum' });
}

/**
 * The `{publicKey}` route parameter: a driver's Ed25519 public key, base58 of 32 bytes (BigchainDB's encoding).
 *
 * @throws ValidationError (field `publicKey`, rule `ed25519-public-key`) otherwise.
 */
export function driverPublicKeyParameter(request: HttpRequest): string {
  const publicKey = request.params['publicKey'] ?? '';
  if (!isBase58Of32Bytes(publicKey)) {
    throw new ValidationError({
      message: 'publicKey must be a base58 Ed25519 public key (32 bytes)',
      field: 'publicKey',
      rule: 'ed25519-public-key',
    });
  }
  return publicKey;
}

function isBase58Of32Bytes(text: string): boolean {
  try {
    return text.length <= 44 && bs58.decode(text).length === 32;
  } catch {
    return false;
  }
}
