import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';

import bs58 from 'bs58';

// Ed25519 keys in BigchainDB's encoding, with node:crypto only. Kept apart from signing.ts, which needs
// crypto-conditions (and through it core-js, about 400 modules): settings.ts derives the leasing company's
// public key from here, and the relay worker, which loads settings.ts but never signs, must not pay for them
// (README "Measured figures", relay memory).

/** An Ed25519 key pair in BigchainDB's encoding: base58 public key and base58 32-byte seed. */
export interface KeyPair {
  readonly publicKey: string;
  readonly privateKey: string;
}

/** A private key ready for node:crypto, with its base58 public key. */
export interface Signer {
  readonly publicKey: string;
  readonly key: KeyObject;
}

// DER prefix that wraps a raw Ed25519 seed for node:crypto (RFC 8410).
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

// Importing a private key costs several times more than signing with it, and the same few keys
// (the leasing company's) sign again and again.
const signers = new Map<string, Signer>();
const MAX_SIGNERS = 1_000;

/**
 * The node:crypto key of a key pair's private key (its `publicKey` is not read: it is derived), cached for the
 * last 1,000 keys.
 *
 * @throws Error when `privateKey` is not base58 or not 32 bytes.
 */
export function toSigner({ privateKey }: KeyPair): Signer {
  let signer = signers.get(privateKey);
  if (!signer) {
    const seed = bs58.decode(privateKey);
    if (seed.length !== 32) throw new Error(`an Ed25519 private key is a 32-byte seed, got ${seed.length} bytes`);
    const key = createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' });
    signer = {
      publicKey: bs58.encode(createPublicKey(key).export({ format: 'der', type: 'spki' }).subarray(-32)),
      key,
    };
    if (signers.size >= MAX_SIGNERS) signers.delete(signers.keys().next().value as string);
    signers.set(privateKey, signer);
  }
  return signer;
}
