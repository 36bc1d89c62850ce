import {
  conditionUriFromDetails,
  decodePublicKey,
  ed25519ConditionUri,
  parseFulfillmentUri,
} from '../transaction/fulfillment';
import type { JsonObject } from '../transaction/json-value';
import {
  type CarAsset,
  type LeaseMetadata,
  readCarAsset,
  readLeaseMetadata,
  readReturnMetadata,
  type ReturnMetadata,
} from './schemas';

/*
 * What a committed TRANSFER of a car means under the leasing conventions (car-transactions.ts builds them):
 *
 * - a lease spends the car's output held by the company alone into ONE output whose condition is the 1-of-2
 *   threshold of the lessee's and the company's Ed25519 keys, with lease metadata naming the lessee;
 * - a return spends such a threshold output back into ONE output held by the company alone, with return metadata.
 *
 * The spent output is not in the transaction, but its condition is: a committed input's fulfillment meets
 * exactly the condition of the output it spends (the node checked that), so the condition URI of the
 * fulfillment tells what the spent output was, and `owners_before` is only trusted once it agrees with it.
 */

/** A committed TRANSFER of a car, read with {@link classifyCarTransfer}. */
export type CarTransfer =
  | {
      readonly kind: 'lease';
      /** The lessee's base58 public key: the output's other key, and `metadata.driver.publicKey`. */
      readonly lessee: string;
      readonly metadata: LeaseMetadata;
      /** The transaction whose output this one spends (the registration or the previous return). */
      readonly spentTransactionId: string;
    }
  | {
      readonly kind: 'return';
      /** The key that shared the spent threshold output with the company: the lessee of the lease this ends. */
      readonly formerLessee: string;
      readonly metadata: ReturnMetadata;
      /** The lease transaction this return ends (the one whose output it spends). */
      readonly spentTransactionId: string;
    }
  | {
      readonly kind: 'other';
      /** Why the transaction is neither a lease nor a return, in words, for logs and the car's history. */
      readonly reason: string;
    };

type Json = Readonly<Record<string, unknown>>;

interface TransferShape {
  readonly ownersBefore: readonly string[];
  readonly fulfillment: string;
  readonly spentTransactionId: string;
  readonly output: Json;
  readonly details: Json;
  readonly metadata: unknown;
}

/**
 * Classifies a committed TRANSFER (BigchainDB's JSON, as `GET /api/v1/transactions/{id}` returns it) as a
 * lease or a return of a car by the leasing company, or as something else with the reason. Pure; never throws.
 *
 * A `lease` needs: one input spending an output held by `companyPublicKey` alone; one output of amount 1 whose
 * condition is a 1-of-2 threshold of two Ed25519 keys, the company's and the lessee's (in either order); and
 * metadata valid as {@link LeaseMetadata} whose `driver.publicKey` is that lessee.
 * A `return` needs: one input spending a 1-of-2 threshold output of the company's key and one other key; one
 * output of amount 1 held by the company alone; and metadata valid as {@link ReturnMetadata}.
 *
 * @param transaction - the transaction JSON; anything else is `other`.
 * @param companyPublicKey - the leasing company's base58 Ed25519 public key.
 */
export function classifyCarTransfer(transaction: unknown, companyPublicKey: string): CarTransfer {
  const shape = readTransferShape(transaction);
  if (typeof shape === 'string') return other(shape);
  const kind = asRecord(shape.metadata)?.['kind'];
  if (kind === 'lease') return classifyLease(shape, companyPublicKey);
  if (kind === 'return') return classifyReturn(shape, companyPublicKey);
  return other('its metadata is neither a lease nor a return (metadata.kind)');
}

/**
 * Reads a committed transaction as the registration of one of the company's cars: a CREATE whose asset data is a
 * version-1 car and whose one issuer is `companyPublicKey` (the node checked the issuer's signature).
 *
 * @returns the car, or `undefined` for any other transaction or value. Never throws.
 */
export function readCompanyCarRegistration(transaction: unknown, companyPublicKey: string): CarAsset | undefined {
  const tx = asRecord(transaction);
  if (tx?.['operation'] !== 'CREATE') return undefined;
  const inputs = tx['inputs'];
  const issuers = Array.isArray(inputs) && inputs.length === 1 ? asRecord(inputs[0])?.['owners_before'] : undefined;
  if (!isStringArray(issuers) || issuers.length !== 1 || issuers[0] !== companyPublicKey) return undefined;
  return readCarAsset(asRecord(tx['asset'])?.['data']);
}

function classifyLease(shape: TransferShape, company: string): CarTransfer {
  const metadata = readLeaseMetadata(shape.metadata);
  if (metadata === undefined) return other('its metadata says lease but is not valid lease metadata');
  if (!spendsCompanyAlone(shape, company))
    return other('a lease must spend an output held by the leasing company alone');
  const keys = thresholdKeys(shape.details);
  if (keys === undefined) return other('a lease output must be a 1-of-2 threshold of two Ed25519 keys');
  const [first, second] = keys;
  const lessee = first === company ? second : second === company ? first : undefined;
  if (lessee === undefined || lessee === company)
    return other('the lease threshold must hold the leasing company and one other key');
  if (lessee !== metadata.driver.publicKey) {
    return other("the lease threshold's other key is not the driver's public key (metadata.driver.publicKey)");
  }
  if (!samePublicKeys(shape.output, keys)) return other("the lease output's public_keys do not match its condition");
  return { kind: 'lease', lessee, metadata, spentTransactionId: shape.spentTransactionId };
}

function classifyReturn(shape: TransferShape, company: string): CarTransfer {
  const metadata = readReturnMetadata(shape.metadata);
  if (metadata === undefined) return other('its metadata says return but is not valid return metadata');
  const formerLessee = spentLeaseThreshold(shape, company);
  if (formerLessee === undefined)
    return other('a return must spend a 1-of-2 threshold output of the leasing company and one other key');
  if (!isEd25519Of(shape.details, company) || !samePublicKeys(shape.output, [company])) {
    return other('a return output must be held by the leasing company alone');
  }
  return { kind: 'return', formerLessee, metadata, spentTransactionId: shape.spentTransactionId };
}

// One input that spends an earlier output, one output of the whole car: anything else is not a car transfer.
function readTransferShape(transaction: unknown): TransferShape | string {
  const tx = asRecord(transaction);
  if (tx?.['operation'] !== 'TRANSFER') return 'it is not a TRANSFER';
  const inputs = tx['inputs'];
  const outputs = tx['outputs'];
  if (!Array.isArray(inputs) || inputs.length !== 1) return 'a car transfer has exactly one input';
  if (!Array.isArray(outputs) || outputs.length !== 1) return 'a car transfer has exactly one output';
  const input = readInput(inputs[0]);
  if (input === undefined) return 'its input is malformed';
  const output = readOutput(outputs[0]);
  if (output === undefined) return 'its output is malformed';
  if (output.output['amount'] !== '1') return 'a car transfer moves the whole car (amount "1")';
  return { ...input, ...output, metadata: tx['metadata'] };
}

function readOutput(value: unknown): Pick<TransferShape, 'output' | 'details'> | undefined {
  const output = asRecord(value);
  const details = asRecord(asRecord(output?.['condition'])?.['details']);
  if (!output || !details) return undefined;
  return { output, details };
}

function readInput(
  value: unknown,
): Pick<TransferShape, 'ownersBefore' | 'fulfillment' | 'spentTransactionId'> | undefined {
  const input = asRecord(value);
  const spentTransactionId = asRecord(input?.['fulfills'])?.['transaction_id'];
  const ownersBefore = input?.['owners_before'];
  const fulfillment = input?.['fulfillment'];
  if (typeof spentTransactionId !== 'string' || !isStringArray(ownersBefore) || typeof fulfillment !== 'string')
    return undefined;
  return { ownersBefore, fulfillment, spentTransactionId };
}

function spendsCompanyAlone({ ownersBefore, fulfillment }: TransferShape, company: string): boolean {
  if (ownersBefore.length !== 1 || ownersBefore[0] !== company) return false;
  const expected = conditionUriOrUndefined(() => ed25519ConditionUri(decodePublicKey(company)));
  return expected !== undefined && parseFulfillmentUri(fulfillment)?.conditionUri === expected;
}

// The other key of the spent threshold, once the fulfillment proves the spent output was exactly that threshold.
function spentLeaseThreshold({ ownersBefore, fulfillment }: TransferShape, company: string): string | undefined {
  if (ownersBefore.length !== 2 || !ownersBefore.includes(company)) return undefined;
  const other = ownersBefore.find((key) => key !== company);
  if (other === undefined) return undefined;
  const expected = conditionUriOrUndefined(() => conditionUriFromDetails(thresholdDetails(other, company)));
  return expected !== undefined && parseFulfillmentUri(fulfillment)?.conditionUri === expected ? other : undefined;
}

function thresholdDetails(first: string, second: string): JsonObject {
  return {
    type: 'threshold-sha-256',
    threshold: 1,
    subconditions: [first, second].map((key) => ({ type: 'ed25519-sha-256', public_key: key })),
  };
}

// The two keys of a 1-of-2 threshold of Ed25519 conditions, in their order.
function thresholdKeys(details: Json): readonly [string, string] | undefined {
  const subconditions = details['subconditions'];
  if (details['type'] !== 'threshold-sha-256' || details['threshold'] !== 1) return undefined;
  if (!Array.isArray(subconditions) || subconditions.length !== 2) return undefined;
  const keys = subconditions.map((sub) => ed25519Key(asRecord(sub)));
  const [first, second] = keys;
  return first === undefined || second === undefined ? undefined : [first, second];
}

function isEd25519Of(details: Json, publicKey: string): boolean {
  return ed25519Key(details) === publicKey;
}

function ed25519Key(details: Json | undefined): string | undefined {
  const key = details?.['public_key'];
  return details?.['type'] === 'ed25519-sha-256' && typeof key === 'string' ? key : undefined;
}

function samePublicKeys(output: Json, expected: readonly string[]): boolean {
  const keys = output['public_keys'];
  return isStringArray(keys) && keys.length === expected.length && expected.every((key) => keys.includes(key));
}

// A key that is not 32 bytes of base58 makes no condition; such a transfer is simply not the company's.
function conditionUriOrUndefined(compute: () => string): string | undefined {
  try {
    return compute();
  } catch {
    return undefined;
  }
}

function asRecord(value: unknown): Json | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : undefined;
}

function isStringArray(value: unknown): value is readonly string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string');
}

function other(reason: string): CarTransfer {
  return { kind: 'other', reason };
}
