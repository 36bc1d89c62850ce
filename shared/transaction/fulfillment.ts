import { createPublicKey, verify } from 'node:crypto';

import bs58 from 'bs58';
import { Ed25519Sha256, Fulfillment, ThresholdSha256 } from 'crypto-conditions';

import { InvalidTransactionError } from '../errors';
import { isJsonObject, type JsonValue } from './json-value';

/** A crypto-condition fulfillment parsed from its base64url URI. */
export type ParsedFulfillment = Fulfillment;

/** BigchainDB's `_fulfillment_from_details` recursion limit. */
const MAX_THRESHOLD_DEPTH = 100;

/**
 * Parses a fulfillment URI, or returns `undefined` for one that is not a crypto-condition (the
 * node's `Fulfillment URI couldn't been parsed`).
 */
export function parseFulfillmentUri(uri: string): ParsedFulfillment | undefined {
  try {
    return Fulfillment.fromUri(uri);
  } catch {
    return undefined;
  }
}

/**
 * The condition URI that output `details` stand for, computed as the node does when an output is
 * spent (the stored `uri` string is never trusted).
 *
 * @throws InvalidTransactionError (`ThresholdTooDeep`) past 100 nested thresholds, or
 *   (`ValidationError`) for a public key that is not 32 bytes of base58.
 */
export function conditionUriFromDetails(details: JsonValue): string {
  return fulfillmentFromDetails(details, 0).getConditionUri();
}

function fulfillmentFromDetails(details: JsonValue, depth: number): Fulfillment {
  if (depth >= MAX_THRESHOLD_DEPTH) throw new InvalidTransactionError({ kind: 'ThresholdTooDeep', detail: '' });
  if (!isJsonObject(details)) throw invalidDetails('condition details must be an object');
  if (details['type'] === 'ed25519-sha-256') {
    const ed25519 = new Ed25519Sha256();
    ed25519.setPublicKey(decodePublicKey(details['public_key'] ?? null));
    return ed25519;
  }
  const subconditions = details['subconditions'];
  if (details['type'] !== 'threshold-sha-256' || !Array.isArray(subconditions)) {
    throw invalidDetails(`unsupported condition type ${String(details['type'])}`);
  }
  const threshold = new ThresholdSha256();
  threshold.setThreshold(Number(details['threshold']));
  for (const subcondition of subconditions) threshold.addSubfulfillment(fulfillmentFromDetails(subcondition, depth + 1));
  return threshold;
}

/**
 * Decodes a base58 Ed25519 public key.
 *
 * @throws InvalidTransactionError (`ValidationError`) unless it is 32 bytes of base58.
 */
export function decodePublicKey(publicKey: JsonValue): Buffer {
  let bytes: Uint8Array | undefined;
  if (typeof publicKey === 'string') {
    try {
      bytes = bs58.decode(publicKey);
    } catch {
      bytes = undefined;
    }
  }
  if (bytes?.length !== 32) throw invalidDetails(`public key ${JSON.stringify(publicKey)} is not 32 bytes of base58`);
  return Buffer.from(bytes);
}

// A real node crashes (500) on such details; the dev node and the app answer 400 instead.
function invalidDetails(reason: string): InvalidTransactionError {
  return new InvalidTransactionError({ kind: 'ValidationError', detail: `Invalid condition details: ${reason}` });
}

/**
 * Public keys that own an output: every Ed25519 key anywhere in its condition details (the node's
 * `condition_details_has_owner`).
 */
export function ownersOfDetails(details: JsonValue): string[] {
  if (!isJsonObject(details)) return [];
  if (typeof details['public_key'] === 'string') return [details['public_key']];
  const subconditions = details['subconditions'];
  return Array.isArray(subconditions) ? subconditions.flatMap(ownersOfDetails) : [];
}

// DER prefix of an SPKI-wrapped Ed25519 public key (RFC 8410), so node:crypto can take raw keys.
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

/**
 * Whether a fulfillment's signatures are valid for `message`. Ed25519 signatures are checked with
 * node:crypto (OpenSSL), which is about 60 times faster than the library's JavaScript fallback; a
 * threshold is valid when every subfulfillment it carries is.
 */
export function isFulfillmentValid(fulfillment: ParsedFulfillment, message: Buffer): boolean {
  // The library's declared ASN.1 JSON types are its JSON types; this is the real shape.
  return isAsn1FulfillmentValid(fulfillment.getAsn1Json() as unknown as Asn1Fulfillment, message);
}

interface Asn1Fulfillment {
  readonly type: string;
  readonly value: {
    readonly publicKey?: Buffer;
    readonly signature?: Buffer;
    readonly subfulfillments?: readonly Asn1Fulfillment[];
  };
}

function isAsn1FulfillmentValid(fulfillment: Asn1Fulfillment, message: Buffer): boolean {
  const { type, value } = fulfillment;
  if (type === 'ed25519Sha256Fulfillment' && value.publicKey && value.signature) {
    const key = createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, value.publicKey]), format: 'der', type: 'spki' });
    return verify(null, message, key, value.signature);
  }
  if (type === 'thresholdSha256Fulfillment' && value.subfulfillments && value.subfulfillments.length > 0) {
    return value.subfulfillments.every((sub) => isAsn1FulfillmentValid(sub, message));
  }
  return false;
}
