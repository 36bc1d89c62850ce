import { Transaction } from 'bigchaindb-driver';
import { Fulfillment } from 'crypto-conditions';

import {
  conditionUriFromDetails,
  fulfillmentFromDetails,
  parseFulfillmentUri,
} from '../../../shared/transaction/fulfillment';
import { generateKeyPair } from '../../../shared/transaction/signing';
import { signedDigest, signingPayload } from '../../../shared/transaction/transaction-hash';
import { createTransaction, outputTo, transferTransaction } from '../../helpers/transactions';

const alice = generateKeyPair();
const bob = generateKeyPair();

describe('parseFulfillmentUri', () => {
  test('reads an Ed25519 fulfillment to the same condition URI as crypto-conditions', () => {
    const created = createTransaction(alice, { car: 'x' });
    const uri = created.inputs[0]?.['fulfillment'] as string;

    expect(parseFulfillmentUri(uri)?.conditionUri).toBe(Fulfillment.fromUri(uri).getConditionUri());
  });

  test('validates the signature over the signed digest, and nothing else', () => {
    const created = createTransaction(alice, { car: 'x' });
    const fulfillment = parseFulfillmentUri(created.inputs[0]?.['fulfillment'] as string);
    const digest = signedDigest(signingPayload(created as never), null);

    expect(fulfillment?.isValid(digest)).toBe(true);
    expect(fulfillment?.isValid(Buffer.alloc(32))).toBe(false);
  });

  test('reads a 1-of-2 threshold fulfillment through the library', () => {
    const condition = Transaction.makeThresholdCondition(1, [
      Transaction.makeEd25519Condition(bob.publicKey, false),
      Transaction.makeEd25519Condition(alice.publicKey, false),
    ]);
    const created = createTransaction(alice, { car: 'x' }, null, [Transaction.makeOutput(condition)]);
    const spend = transferTransaction([{ tx: created, outputIndex: 0 }], [outputTo(alice)], [bob]);
    const fulfillment = parseFulfillmentUri(spend.inputs[0]?.['fulfillment'] as string);
    const digest = signedDigest(signingPayload(spend as never), { transactionId: created.id, outputIndex: 0 });

    expect(fulfillment?.conditionUri).toBe(condition.uri);
    expect(fulfillment?.isValid(digest)).toBe(true);
  });

  test('returns undefined for bytes that are no crypto-condition', () => {
    expect(parseFulfillmentUri('AAAA')).toBeUndefined();
  });
});

describe('conditionUriFromDetails', () => {
  test('gives the driver-made URI for Ed25519 and threshold details', () => {
    const ed25519 = Transaction.makeEd25519Condition(alice.publicKey);
    const threshold = Transaction.makeThresholdCondition(1, [
      Transaction.makeEd25519Condition(bob.publicKey, false),
      Transaction.makeEd25519Condition(alice.publicKey, false),
    ]);

    expect(conditionUriFromDetails(ed25519.details as never)).toBe(ed25519.uri);
    expect(conditionUriFromDetails(threshold.details as never)).toBe(threshold.uri);
    expect(fulfillmentFromDetails(ed25519.details as never).getConditionUri()).toBe(ed25519.uri);
  });

  test('rejects a public key that is not 32 bytes of base58', () => {
    expect(() => conditionUriFromDetails({ type: 'ed25519-sha-256', public_key: 'abc' })).toThrow(
      'Invalid transaction (ValidationError): Invalid condition details: public key "abc" is not 32 bytes of base58',
    );
  });
});
