import { sign } from 'node:crypto';

import { Ed25519Sha256, type Fulfillment, ThresholdSha256 } from 'crypto-conditions';

import { type KeyPair, type Signer, toSigner } from './ed25519-keys';
import { conditionUriFromDetails, decodePublicKey } from './fulfillment';
import { isJsonObject, type JsonObject, type JsonValue } from './json-value';
import { computeTransactionId, signedDigest, signingPayload } from './transaction-hash';

export { generateKeyPair, type KeyPair, publicKeyOfPrivateKey } from './ed25519-keys';

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
      ? {
          transactionId: input['fulfills']['transaction_id'] as string,
          outputIndex: input['fulfills']['output_index'] as number,
        }
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
