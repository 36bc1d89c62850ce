import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';

import bs58 from 'bs58';
import { Ed25519Sha256, ThresholdSha256, type Fulfillment } from 'crypto-conditions';

import { conditionUriFromDetails, decodePublicKey } from './fulfillment';
import { isJsonObject, type JsonObject, type JsonValue } from './json-value';
import { computeTransactionId, signedDigest, signingPayload } from './transaction-hash';

/** An Ed25519 key pair in BigchainDB's encoding: base58 public key and base58 32-byte seed. */
export interface KeyPair {
  readonly publicKey: string;
  readonly privateKey: string;
}

// DER prefixes that wrap raw Ed25519 keys for node:crypto (RFC 8410).
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

/** A new random key pair, made with node:crypto (fast, no JavaScript fallback). */
export function generateKeyPair(): KeyPair {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  return {
    publicKey: bs58.encode(publicKey.export({ format: 'der', type: 'spki' }).subarray(-32)),
    privateKey: bs58.encode(privateKey.export({ format: 'der', type: 'pkcs8' }).subarray(-32)),
  };
}

/**
 * The base58 public key of a base58 Ed25519 private key (32-byte seed).
 *
 * @throws Error when `privateKey` is not base58 or not 32 bytes.
 */
export function publicKeyOfPrivateKey(privateKey: string): string {
  return toSigner({ publicKey: '', privateKey }).publicKey;
}

interface Signer {
  readonly publicKey: string;
  readonly key: KeyObject;
}

// Importing a private key costs several times more than signing with it, and the same few keys
// (the leasing company's) sign again and again.
const signers = new Map<string, Signer>();
const MAX_SIGNERS = 1_000;

function toSigner({ privateKey }: KeyPair): Signer {
  let signer = signers.get(privateKey);
  if (!signer) {
    const seed = bs58.decode(privateKey);
    if (seed.length !== 32) throw new Error(`an Ed25519 private key is a 32-byte seed, got ${seed.length} bytes`);
    const key = createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' });
    signer = { publicKey: bs58.encode(createPublicKey(key).export({ format: 'der', type: 'spki' }).subarray(-32)), key };
    if (signers.size >= MAX_SIGNERS) signers.delete(signers.keys().next().value as string);
    signers.set(privateKey, signer);
  }
  return signer;
}

/**
 * Signs every input of an unsigned transaction (fulfillments and id null, as the driver's `make*`
 * helpers build it) and sets its id. Each input is fulfilled for the condition it spends:
 * `spentDetails[i]` for input `i`, or by default an Ed25519 condition of its first `owners_before`.
 * Thresholds are met with the given keys, the other members left as conditions.
 *
 * @throws Error when the keys cannot meet an input's condition.
 */
export function signTransaction<T extends object>(
  transaction: T,
  keyPairs: readonly KeyPair[],
  spentDetails: readonly (JsonValue | undefined)[] = [],
): T & { id: string } {
  const body = transaction as unknown as JsonObject;
  const signers = keyPairs.map(toSigner);
  const payload = signingPayload(body);
  const inputs = (body['inputs'] as JsonObject[]).map((input, index) => {
    const fulfills = isJsonObject(input['fulfills'])
      ? { transactionId: input['fulfills']['transaction_id'] as string, outputIndex: input['fulfills']['output_index'] as number }
      : null;
    const owners = input['owners_before'] as string[];
    const details = spentDetails[index] ?? { type: 'ed25519-sha-256', public_key: owners[0] ?? '' };
    const fulfillment = fulfill(details, signedDigest(payload, fulfills), signers);
    if (!fulfillment) throw new Error(`the given keys cannot fulfill input ${index}`);
    return { ...input, fulfillment: fulfillment.serializeUri() };
  });
  const signed: JsonObject = { ...body, inputs, id: null };
  return { ...transaction, inputs, id: computeTransactionId(signed) };
}

function fulfill(details: JsonValue, digest: Buffer, signers: readonly Signer[]): Fulfillment | undefined {
  if (!isJsonObject(details)) return undefined;
  if (details['type'] === 'ed25519-sha-256') {
    const signer = signers.find(({ publicKey }) => publicKey === details['public_key']);
    if (!signer) return undefined;
    const fulfillment = new Ed25519Sha256();
    fulfillment.setPublicKey(decodePublicKey(signer.publicKey));
    fulfillment.setSignature(sign(null, digest, signer.key));
    return fulfillment;
  }
  const threshold = Number(details['threshold']);
  const subconditions = details['subconditions'];
  if (!Array.isArray(subconditions)) return undefined;
  const fulfillment = new ThresholdSha256();
  fulfillment.setThreshold(threshold);
  let met = 0;
  for (const subcondition of subconditions) {
    const subfulfillment = met < threshold ? fulfill(subcondition, digest, signers) : undefined;
    if (subfulfillment) {
      fulfillment.addSubfulfillment(subfulfillment);
      met++;
    } else {
      fulfillment.addSubcondition(conditionUriFromDetails(subcondition));
    }
  }
  return met === threshold ? fulfillment : undefined;
}
