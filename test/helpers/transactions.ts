import { Transaction } from 'bigchaindb-driver';

import { type KeyPair, signTransaction } from '../../shared/transaction/signing';

/** A signed transaction as the driver shapes it, loosely typed for tests that tamper with it. */
export type SignedTransaction = Record<string, unknown> & {
  id: string;
  inputs: Record<string, unknown>[];
  outputs: Record<string, unknown>[];
};

/** Ed25519 output of `amount` to `owner`, built by the driver. */
export function outputTo(owner: KeyPair, amount = '1'): ReturnType<typeof Transaction.makeOutput> {
  return Transaction.makeOutput(Transaction.makeEd25519Condition(owner.publicKey), amount);
}

/** A CREATE issued and signed by `issuer` (with node:crypto, byte-identical to the driver's signing). */
export function createTransaction(
  issuer: KeyPair,
  asset: Record<string, unknown> | null,
  metadata: Record<string, unknown> | null = null,
  outputs = [outputTo(issuer)],
): SignedTransaction {
  const unsigned = Transaction.makeCreateTransaction(
    asset,
    metadata as Record<string, unknown>,
    outputs,
    issuer.publicKey,
  );
  return signTransaction(unsigned, [issuer]) as unknown as SignedTransaction;
}

/** A TRANSFER spending `spent` (transaction and output index pairs), signed with `signers`. */
export function transferTransaction(
  spent: { tx: SignedTransaction; outputIndex: number }[],
  outputs: ReturnType<typeof Transaction.makeOutput>[],
  signers: KeyPair[],
  metadata: Record<string, unknown> | null = null,
): SignedTransaction {
  const unsigned = Transaction.makeTransferTransaction(
    spent.map(({ tx, outputIndex }) => ({ tx: tx as never, output_index: outputIndex })),
    outputs,
    metadata as Record<string, unknown>,
  );
  const details = spent.map(
    ({ tx, outputIndex }) => (tx.outputs[outputIndex]?.['condition'] as { details: never }).details,
  );
  return signTransaction(unsigned, signers, details) as unknown as SignedTransaction;
}

/** POSTs raw text or a value to the node's transactions endpoint and returns status, reason and parsed body. */
export async function postRaw(
  apiUrl: string,
  body: unknown,
  mode?: string,
): Promise<{ status: number; statusText: string; body: unknown }> {
  const query = mode === undefined ? '' : `?mode=${mode}`;
  const response = await fetch(`${apiUrl}transactions${query}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, statusText: response.statusText, body: JSON.parse(text) as unknown };
}
