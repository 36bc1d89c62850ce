import { createHash, createPublicKey, type KeyObject, verify } from 'node:crypto';

import bs58 from 'bs58';
import { Ed25519Sha256, Fulfillment, ThresholdSha256 } from 'crypto-conditions';

import { InvalidTransactionError } from '../errors';
import { isJsonObject, type JsonValue } from './json-value';

/** A crypto-condition fulfillment parsed from its base64url URI. */
export interface ParsedFulfillment {
  /** The condition it fulfills, as `ni:///sha-256;...` URI. */
  readonly conditionUri: string;
  /** Whether its signatures are valid for `message`. */
  isValid(message: Buffer): boolean;
}

/** BigchainDB's `_fulfillment_from_details` recursion limit. */
const MAX_THRESHOLD_DEPTH = 100;

// Ed25519-SHA-256 fulfillments have one fixed DER layout (spec §4.6):
// A4 64 | 80 20 <32-byte public key> | 81 40 <64-byte signature>.
const ED25519_FULFILLMENT_LENGTH = 102;
const ED25519_FULFILLMENT_PREFIX = Buffer.from('a4648020', 'hex');
const ED25519_SIGNATURE_TAG = Buffer.from('8140', 'hex');
const ED25519_FINGERPRINT_PREFIX = Buffer.from('30228020', 'hex');

/**
 * Parses a fulfillment URI, or returns `undefined` for one that is not a crypto-condition (the
 * node's `Fulfillment URI couldn't been parsed`). Ed25519 fulfillments, nearly all traffic, are read
 * from their fixed layout: the `crypto-conditions` parser costs about 200 µs each. Everything else
 * goes through the library.
 */
export function parseFulfillmentUri(uri: string): ParsedFulfillment | undefined {
  const bytes = Buffer.from(uri, 'base64url');
  if (
    bytes.length === ED25519_FULFILLMENT_LENGTH &&
    bytes.subarray(0, 4).equals(ED25519_FULFILLMENT_PREFIX) &&
    bytes.subarray(36, 38).equals(ED25519_SIGNATURE_TAG)
  ) {
    return new Ed25519Fulfillment(bytes.subarray(4, 36), bytes.subarray(38));
  }
  try {
    return new LibraryFulfillment(Fulfillment.fromUri(uri));
  } catch {
    return undefined;
  }
}

/** The condition URI of an Ed25519 public key (spec §4.6). */
export function ed25519ConditionUri(publicKey: Buffer): string {
  const fingerprint = createHash('sha256').update(ED25519_FINGERPRINT_PREFIX).update(publicKey).digest('base64url');
  return `ni:///sha-256;${fingerprint}?fpt=ed25519-sha-256&cost=131072`;
}

// Importing a key costs more than verifying with it (about 30 µs as JWK, 150–350 µs as DER), and
// the same keys sign again and again, so imported keys are kept, a bounded number of them.
const importedKeys = new Map<string, KeyObject>();
const MAX_IMPORTED_KEYS = 10_000;

function publicKeyObject(publicKey: Buffer): KeyObject {
  const x = publicKey.toString('base64url');
  let key = importedKeys.get(x);
  if (!key) {
    key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x }, format: 'jwk' });
    if (importedKeys.size >= MAX_IMPORTED_KEYS) importedKeys.delete(importedKeys.keys().next().value as string);
    importedKeys.set(x, key);
  }
  return key;
}

function verifyEd25519(publicKey: Buffer, signature: Buffer, message: Buffer): boolean {
  return verify(null, message, publicKeyObject(publicKey), signature);
}

class Ed25519Fulfillment implements ParsedFulfillment {
  readonly conditionUri: string;

  constructor(
    private readonly publicKey: Buffer,
    private readonly signature: Buffer,
  ) {
    this.conditionUri = ed25519ConditionUri(publicKey);
  }

  isValid(message: Buffer): boolean {
    return verifyEd25519(this.publicKey, this.signature, message);
  }
}

interface Asn1Fulfillment {
  readonly type: string;
  readonly value: {
    readonly publicKey?: Buffer;
    readonly signature?: Buffer;
    readonly subfulfillments?: readonly Asn1Fulfillment[];
  };
}

/** Any other fulfillment (thresholds), parsed by `crypto-conditions`; signatures checked with node:crypto. */
class LibraryFulfillment implements ParsedFulfillment {
  readonly conditionUri: string;

  constructor(private readonly fulfillment: Fulfillment) {
    this.conditionUri = fulfillment.getConditionUri();
  }

  isValid(message: Buffer): boolean {
    // The library's declared ASN.1 JSON types are its JSON types; this is the real shape.
    return isAsn1FulfillmentValid(this.fulfillment.getAsn1Json() as unknown as Asn1Fulfillment, message);
  }
}

// A threshold is valid when every subfulfillment it carries is; the library sets a parsed
// threshold's value to the number of subfulfillments, and the condition URI comparison checks it.
function isAsn1FulfillmentValid({ type, value }: Asn1Fulfillment, message: Buffer): boolean {
  if (type === 'ed25519Sha256Fulfillment' && value.publicKey && value.signature) {
    return verifyEd25519(value.publicKey, value.signature, message);
  }
  if (type === 'thresholdSha256Fulfillment' && value.subfulfillments && value.subfulfillments.length > 0) {
    return value.subfulfillments.every((sub) => isAsn1FulfillmentValid(sub, message));
  }
  return false;
}

/**
 * The condition URI that output `details` stand for, computed as the node does when an output is
 * spent (the stored `uri` string is never trusted).
 *
 * @throws InvalidTransactionError (`ThresholdTooDeep`) past 100 nested thresholds, or
 *   (`ValidationError`) for a public key that is not 32 bytes of base58.
 */
export function conditionUriFromDetails(details: JsonValue): string {
  if (isJsonObject(details) && details['type'] === 'ed25519-sha-256') {
    return ed25519ConditionUri(decodePublicKey(details['public_key'] ?? null));
  }
  return fulfillmentFromDetails(details, 0).getConditionUri();
}

/** Builds the `crypto-conditions` object of output details, as the node's `_fulfillment_from_details`. */
export function fulfillmentFromDetails(details: JsonValue, depth = 0): Fulfillment {
  if (depth >= MAX_THRESHOLD_DEPTH) throw new InvalidTransactionError({ kind: 'ThresholdTooDeep', detail: '' });
  if (!isJsonObject(details)) throw invalidDetails('condition details must be an object');
  if (details['type'] === 'ed25519-sha-256') {
    const ed25519 = new Ed25519Sha256();
    ed25519.setPublicKey(decodePublicKey(details['public_key'] ?? null));
    return ed25519;
  }
  const subconditions = details['subconditions'];
  if (details['type'] !== 'threshold-sha-256' || !Array.isArray(subconditions)) {
    // eslint-disable-next-line @typescript-eslint/no-base-to-string -- names whatever JSON value was sent, in a message
    throw invalidDetails(`unsupported condition type ${String(details['type'])}`);
  }
  const threshold = new ThresholdSha256();
  threshold.setThreshold(Number(details['threshold']));
  for (const subcondition of subconditions)
    threshold.addSubfulfillment(fulfillmentFromDetails(subcondition, depth + 1));
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
