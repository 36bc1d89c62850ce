import { createHash } from 'node:crypto';

import type { JsonObject } from './json-value';
import { canonicalJson } from './python-json';

/** SHA3-256 of UTF-8 text, lower-case hex. */
export function sha3Hex(text: string): string {
  return createHash('sha3-256').update(text, 'utf8').digest('hex');
}

/** A transaction's id: SHA3-256 of its canonical form with `id` set to null (fulfillments kept). */
export function computeTransactionId(transaction: JsonObject): string {
  return sha3Hex(canonicalJson({ ...transaction, id: null }));
}

/**
 * The canonical form that every input signs: `id` and all fulfillments set to null (spec §4.4).
 * Compute it once per transaction and pass it to {@link signedDigest} for each input.
 */
export function signingPayload(transaction: JsonObject): string {
  const inputs = transaction['inputs'];
  const unsignedInputs = Array.isArray(inputs)
    ? inputs.map((input) => ({ ...(input as JsonObject), fulfillment: null }))
    : inputs;
  return canonicalJson({ ...transaction, id: null, inputs: unsignedInputs ?? null });
}

/**
 * The 32 bytes an input's Ed25519 signature covers: SHA3-256 of the signing payload followed, for
 * an input that spends an output, by the spent transaction id and output index.
 */
export function signedDigest(payload: string, fulfills: { transactionId: string; outputIndex: number } | null): Buffer {
  const hash = createHash('sha3-256').update(payload, 'utf8');
  if (fulfills) hash.update(`${fulfills.transactionId}${fulfills.outputIndex}`, 'utf8');
  return hash.digest();
}
