import { InvalidTransactionError } from '../errors';
import { conditionUriFromDetails, ownersOfDetails, type ParsedFulfillment, parseFulfillmentUri } from './fulfillment';
import { isJsonObject, type JsonObject, type JsonValue } from './json-value';
import { pythonJson } from './python-json';
import { computeTransactionId, signedDigest, signingPayload } from './transaction-hash';
import { validateTransactionSchema } from './transaction-schema';

/** BigchainDB's `Output.MAX_AMOUNT`. */
export const MAX_OUTPUT_AMOUNT = 9_000_000_000_000_000_000n;

/** An output being spent, as named by an input's `fulfills`. */
export interface OutputReference {
  readonly transactionId: string;
  readonly outputIndex: number;
}

/** An input after parsing. */
export interface TransactionInput {
  readonly fulfills: OutputReference | null;
  /** `undefined` when the input carries unsigned condition details instead of a fulfillment. */
  readonly fulfillment: ParsedFulfillment | undefined;
}

/** An output after parsing: what later spending needs, and who owns it. */
export interface TransactionOutput {
  readonly amount: bigint;
  /** Condition URI computed from the details, which is what a spender must match. */
  readonly conditionUri: string;
  /** Every public key in the condition details (threshold members included). */
  readonly owners: readonly string[];
}

/** A transaction that passed every check that needs no ledger: id, schema, fulfillments, amounts. */
export interface CheckedTransaction {
  readonly id: string;
  readonly operation: 'CREATE' | 'TRANSFER';
  /** The CREATE's own id, or `asset.id` of a TRANSFER. */
  readonly assetId: string;
  /** The transaction as received. */
  readonly body: JsonObject;
  readonly inputs: readonly TransactionInput[];
  readonly outputs: readonly TransactionOutput[];
}

/**
 * Runs a BigchainDB node's stateless checks, in the node's order (spec §3.1–§3.2): the id, the
 * v2.0 schema with key-name and `language` rules, then fulfillment parsing and output amounts.
 *
 * @throws InvalidTransactionError with the node's exact message.
 */
export function checkTransaction(body: JsonValue): CheckedTransaction {
  if (!isJsonObject(body)) {
    throw new InvalidTransactionError({ kind: 'ValidationError', detail: 'The transaction must be a JSON object' });
  }
  const id = checkId(body);
  validateTransactionSchema(body);
  const operation = body['operation'];
  if (operation !== 'CREATE' && operation !== 'TRANSFER') {
    throw new InvalidTransactionError({
      kind: 'ValidationError',
      // eslint-disable-next-line @typescript-eslint/no-base-to-string -- names whatever JSON value was sent, in a message
      detail: `Operation ${String(operation)} is not supported`,
      field: '/operation',
    });
  }
  // The schema guarantees these shapes from here on.
  const asset = body['asset'] as JsonObject;
  return {
    id,
    operation,
    assetId: operation === 'CREATE' ? id : (asset['id'] as string),
    body,
    inputs: (body['inputs'] as JsonObject[]).map(parseInput),
    outputs: parseOutputs(body),
  };
}

/**
 * The outputs of a transaction that passed the schema, with amounts checked and condition URIs
 * computed from the details.
 *
 * @throws InvalidTransactionError for an amount out of range or unusable condition details.
 */
export function parseOutputs(body: JsonObject): TransactionOutput[] {
  return (body['outputs'] as JsonObject[]).map(parseOutput);
}

function checkId(body: JsonObject): string {
  if (!('id' in body))
    throw new InvalidTransactionError({ kind: 'InvalidHash', detail: 'No transaction id found!', field: '/id' });
  const proposed = body['id'];
  let expected: string;
  try {
    expected = computeTransactionId(body);
  } catch (error) {
    // Only a lone surrogate makes the canonical form fail; a real node answers 500 here.
    throw new InvalidTransactionError({
      kind: 'ValidationError',
      detail: `The transaction cannot be encoded: ${String(error)}`,
    });
  }
  if (proposed !== expected) {
    const shown =
      typeof proposed === 'string'
        ? proposed
        : proposed === null
          ? 'None'
          : pythonJson(proposed, { sortKeys: false, spaced: true });
    throw new InvalidTransactionError({
      kind: 'InvalidHash',
      detail: `The transaction's id '${shown}' isn't equal to the hash of its body, i.e. it's not valid.`,
      field: '/id',
    });
  }
  return expected;
}

function parseInput(input: JsonObject, index: number): TransactionInput {
  const fulfills = isJsonObject(input['fulfills'])
    ? {
        transactionId: input['fulfills']['transaction_id'] as string,
        outputIndex: input['fulfills']['output_index'] as number,
      }
    : null;
  const fulfillment = input['fulfillment'];
  if (typeof fulfillment !== 'string') {
    conditionUriFromDetails(fulfillment ?? null); // details are converted (and may be too deep) but never signed
    return { fulfills, fulfillment: undefined };
  }
  const parsed = parseFulfillmentUri(fulfillment);
  if (!parsed) {
    throw new InvalidTransactionError({
      kind: 'InvalidSignature',
      detail: "Fulfillment URI couldn't been parsed",
      field: `/inputs/${index}/fulfillment`,
    });
  }
  return { fulfills, fulfillment: parsed };
}

function parseOutput(output: JsonObject, index: number): TransactionOutput {
  const condition = output['condition'] as JsonObject;
  const details = condition['details'] ?? null;
  const conditionUri = conditionUriFromDetails(details);
  const amount = BigInt(output['amount'] as string);
  const field = `/outputs/${index}/amount`;
  if (amount < 1n)
    throw new InvalidTransactionError({ kind: 'AmountError', detail: '`amount` must be greater than 0', field });
  if (amount > MAX_OUTPUT_AMOUNT) {
    throw new InvalidTransactionError({
      kind: 'AmountError',
      detail: `\`amount\` must be <= ${MAX_OUTPUT_AMOUNT}`,
      field,
    });
  }
  return { amount, conditionUri, owners: ownersOfDetails(details) };
}

/**
 * Whether every input's fulfillment is validly signed and, for a TRANSFER, matches the condition of
 * the output it spends (`spentConditionUris[i]` for input `i`).
 */
export function areFulfillmentsValid(transaction: CheckedTransaction, spentConditionUris?: readonly string[]): boolean {
  const payload = signingPayload(transaction.body);
  return transaction.inputs.every((input, i) => {
    if (!input.fulfillment) return false;
    if (spentConditionUris && spentConditionUris[i] !== input.fulfillment.conditionUri) return false;
    return input.fulfillment.isValid(signedDigest(payload, input.fulfills));
  });
}
