import type { BigchainDb } from '../shared/bigchaindb';
import { type ConflictCode, ConflictError, TransactionRejectedError } from '../shared/errors';
import type { SignedTransaction } from '../shared/leasing/car-transactions';

/**
 * Commits a transfer of a car built from its state a moment ago. Another request may have spent the same
 * output meanwhile: the node then refuses this one as a double spend, which is a 409 for the caller.
 *
 * @throws ConflictError with `code` when the car's output was spent by another transfer first.
 */
export async function commitTransfer(
  bigchainDb: Pick<BigchainDb, 'postTransaction'>,
  transaction: SignedTransaction,
  conflict: { readonly code: ConflictCode; readonly message: string },
): Promise<void> {
  try {
    await bigchainDb.postTransaction(transaction, 'commit');
  } catch (error: unknown) {
    if (error instanceof TransactionRejectedError && /\(DoubleSpend\)|already spent/.test(error.message)) {
      throw new ConflictError(conflict);
    }
    throw error;
  }
}
