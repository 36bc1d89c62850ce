import { InvalidTransactionError } from '../errors';
import {
  areFulfillmentsValid,
  type CheckedTransaction,
  type OutputReference,
  type TransactionOutput,
} from './transaction';

/** What the ledger rules need to know of a transaction that is already on the chain. */
export interface LedgerTransaction {
  readonly assetId: string;
  readonly outputs: readonly TransactionOutput[];
}

/**
 * The chain as the rules see it: committed transactions, plus, while a block is being built, the
 * transactions accepted into it so far.
 */
export interface LedgerView {
  getTransaction(id: string): LedgerTransaction | undefined;
  /** The id of the transaction that spends the output, if any. */
  getSpender(output: OutputReference): string | undefined;
}

/** A CREATE's checks: not a duplicate, then (unless already checked) its signatures. */
function validateCreate(transaction: CheckedTransaction, ledger: LedgerView, signaturesChecked: boolean): void {
  if (ledger.getTransaction(transaction.id)) {
    throw new InvalidTransactionError({
      kind: 'DuplicateTransaction',
      detail: `transaction \`${transaction.id}\` already exists`,
    });
  }
  if (!signaturesChecked && !areFulfillmentsValid(transaction)) throw invalidSignature();
}

/**
 * Runs a BigchainDB node's stateful checks, in its order (spec §3.3): duplicates for a CREATE;
 * inputs that exist and are unspent, distinct inputs, one asset, balanced amounts for a TRANSFER;
 * then signatures. `signaturesChecked` skips the last step for a transaction whose fulfillments
 * were already verified against the same spent outputs (outputs never change once committed).
 *
 * @throws InvalidTransactionError with the node's exact message.
 */
export function validateAgainstLedger(
  transaction: CheckedTransaction,
  ledger: LedgerView,
  signaturesChecked = false,
): void {
  if (transaction.operation === 'CREATE') {
    validateCreate(transaction, ledger, signaturesChecked);
    return;
  }
  const spent = transaction.inputs.map((input, index) => spentOutput(input.fulfills as OutputReference, index, ledger));
  const links = new Set(
    transaction.inputs.map(({ fulfills }) => `${String(fulfills?.transactionId)}/${String(fulfills?.outputIndex)}`),
  );
  if (links.size !== transaction.inputs.length) {
    throw new InvalidTransactionError({ kind: 'DoubleSpend', detail: `tx "${transaction.id}" spends inputs twice` });
  }
  const assetIds = new Set(spent.map(({ assetId }) => assetId));
  if (assetIds.size > 1) {
    throw new InvalidTransactionError({
      kind: 'AssetIdMismatch',
      detail: 'All inputs of all transactions passed need to have the same asset id',
    });
  }
  if (!assetIds.has(transaction.assetId)) {
    throw new InvalidTransactionError({
      kind: 'AssetIdMismatch',
      detail: 'The asset id of the input does not match the asset id of the transaction',
      field: '/asset/id',
    });
  }
  const inputAmount = sum(spent.map(({ output }) => output.amount));
  const outputAmount = sum(transaction.outputs.map(({ amount }) => amount));
  if (inputAmount !== outputAmount) {
    throw new InvalidTransactionError({
      kind: 'AmountError',
      detail: `The amount used in the inputs \`${inputAmount}\` needs to be same as the amount used in the outputs \`${outputAmount}\``,
    });
  }
  const conditionUris = spent.map(({ output }) => output.conditionUri);
  if (!signaturesChecked && !areFulfillmentsValid(transaction, conditionUris)) throw invalidSignature();
}

function spentOutput(
  reference: OutputReference,
  index: number,
  ledger: LedgerView,
): { assetId: string; output: TransactionOutput } {
  const { transactionId, outputIndex } = reference;
  const source = ledger.getTransaction(transactionId);
  const field = `/inputs/${index}/fulfills`;
  if (!source)
    throw new InvalidTransactionError({
      kind: 'InputDoesNotExist',
      detail: `input \`${transactionId}\` doesn't exist`,
      field,
    });
  if (ledger.getSpender(reference)) {
    throw new InvalidTransactionError({
      kind: 'DoubleSpend',
      detail: `input \`${transactionId}\` was already spent`,
      field,
    });
  }
  const output = source.outputs[outputIndex];
  // A real node crashes (500) on an index past the outputs; answering 400 is a documented deviation.
  if (!output) {
    throw new InvalidTransactionError({
      kind: 'InputDoesNotExist',
      detail: `input \`${transactionId}\` has no output ${outputIndex}`,
      field: `${field}/output_index`,
    });
  }
  return { assetId: source.assetId, output };
}

function invalidSignature(): InvalidTransactionError {
  return new InvalidTransactionError({ kind: 'InvalidSignature', detail: 'Transaction signature is invalid.' });
}

function sum(amounts: readonly bigint[]): bigint {
  return amounts.reduce((total, amount) => total + amount, 0n);
}
