import { Transaction } from 'bigchaindb-driver';

import { type KeyPair, signTransaction } from '../transaction/signing';
import type { CarAsset, LeaseMetadata, ReturnMetadata } from './schemas';

// The leasing company's transactions, built with the official driver's builders and signed with the shared
// signer (byte-identical to the driver's, and fast on every Node version). A car is one indivisible asset
// (amount 1): registering creates it for the company, a lease moves it to a 1-of-2 threshold of lessee and
// company (the company can end the lease alone, the driver holds the car), a return moves it back.

/** A signed transaction in BigchainDB's JSON shape. */
export type SignedTransaction = Record<string, unknown> & { readonly id: string };

/** A committed transaction whose output 0 the next transfer of the car spends. */
export interface CarOutput {
  readonly transaction: {
    readonly id: string;
    readonly operation: string;
    readonly outputs: readonly unknown[];
    readonly asset: unknown;
  };
}

/** The CREATE registering a car for the company, signed by it. */
export function carRegistrationTransaction(car: CarAsset, company: KeyPair): SignedTransaction {
  const output = Transaction.makeOutput(Transaction.makeEd25519Condition(company.publicKey), '1');
  const unsigned = Transaction.makeCreateTransaction(car, null as never, [output], company.publicKey);
  return signTransaction(unsigned, [company]) as unknown as SignedTransaction;
}

/** The lease condition: a 1-of-2 threshold of the lessee's key and the company's key. */
export function leaseCondition(
  lesseePublicKey: string,
  companyPublicKey: string,
): Parameters<typeof Transaction.makeOutput>[0] {
  return Transaction.makeThresholdCondition(
    1,
    [
      Transaction.makeEd25519Condition(lesseePublicKey, false),
      Transaction.makeEd25519Condition(companyPublicKey, false),
    ],
    true,
  );
}

/** The TRANSFER leasing a car held by the company alone to `metadata.driver`, signed by the company. */
export function leaseTransaction(current: CarOutput, metadata: LeaseMetadata, company: KeyPair): SignedTransaction {
  const output = Transaction.makeOutput(leaseCondition(metadata.driver.publicKey, company.publicKey), '1');
  return transfer(current, output, metadata, company);
}

/** The TRANSFER ending a lease: the company spends the threshold output with its own key, back to itself alone. */
export function returnTransaction(current: CarOutput, metadata: ReturnMetadata, company: KeyPair): SignedTransaction {
  const output = Transaction.makeOutput(Transaction.makeEd25519Condition(company.publicKey), '1');
  return transfer(current, output, metadata, company);
}

function transfer(
  current: CarOutput,
  output: ReturnType<typeof Transaction.makeOutput>,
  metadata: object,
  company: KeyPair,
): SignedTransaction {
  const unsigned = Transaction.makeTransferTransaction(
    [{ tx: current.transaction as never, output_index: 0 }],
    [output],
    metadata as Record<string, unknown>,
  );
  const spent = current.transaction.outputs[0] as { condition: { details: never } };
  return signTransaction(unsigned, [company], [spent.condition.details]) as unknown as SignedTransaction;
}
