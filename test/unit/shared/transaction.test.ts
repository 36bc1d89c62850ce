import { Transaction } from 'bigchaindb-driver';

import { InvalidTransactionError } from '../../../shared/errors';
import { parseJson } from '../../../shared/transaction/json-value';
import { generateKeyPair, signTransaction } from '../../../shared/transaction/signing';
import { checkTransaction } from '../../../shared/transaction/transaction';
import { computeTransactionId } from '../../../shared/transaction/transaction-hash';
import { createTransaction, outputTo } from '../../helpers/transactions';

const alice = generateKeyPair();

describe('signTransaction', () => {
  test('produces byte for byte what the driver produces', () => {
    const unsigned = Transaction.makeCreateTransaction(
      { vin: 'WVWZZZ1KZAW000001', price: 23950.5 },
      { n: 1 },
      [outputTo(alice)],
      alice.publicKey,
    );

    expect(JSON.stringify(signTransaction(unsigned, [alice]))).toBe(
      JSON.stringify(Transaction.signTransaction(unsigned, alice.privateKey)),
    );
  });
});

describe('checkTransaction', () => {
  test('accepts a driver-signed CREATE and reports its outputs', () => {
    const created = createTransaction(alice, { car: 'x' }, null, [outputTo(alice, '5')]);

    const checked = checkTransaction(parseJson(JSON.stringify(created)));

    expect(checked).toMatchObject({ id: created.id, operation: 'CREATE', assetId: created.id });
    expect(checked.outputs).toEqual([
      {
        amount: 5n,
        conditionUri: (created.outputs[0]?.['condition'] as { uri: string }).uri,
        owners: [alice.publicKey],
      },
    ]);
  });

  test('hashes a float written as 1.0 the way a Python node does, so a Python-made id is valid', () => {
    const created = createTransaction(alice, { price: 2 });
    const text = JSON.stringify({ ...created, id: null }).replace('"price":2', '"price":2.0');
    const body = parseJson(text);
    const pythonId = computeTransactionId(body as never);
    expect(pythonId).not.toBe(created.id);

    const rewritten = text.replace('"id":null', `"id":"${pythonId}"`);
    // The fulfillment no longer matches the changed body, but the id stage passes: the failure is a signature one.
    expect(() => checkTransaction(parseJson(rewritten))).not.toThrow();
  });

  test('names the id it was sent when the id is wrong', () => {
    const created = createTransaction(alice, { car: 'x' });
    const tampered = { ...created, id: 'a'.repeat(64) };

    expect(() => checkTransaction(parseJson(JSON.stringify(tampered)))).toThrow(
      new InvalidTransactionError({
        kind: 'InvalidHash',
        detail: `The transaction's id '${'a'.repeat(64)}' isn't equal to the hash of its body, i.e. it's not valid.`,
      }),
    );
  });

  test('rejects an amount above 9e18 after the id and schema checks', () => {
    const created = createTransaction(alice, { car: 'x' }, null, [outputTo(alice, '9000000000000000001')]);

    expect(() => checkTransaction(parseJson(JSON.stringify(created)))).toThrow(
      'Invalid transaction (AmountError): `amount` must be <= 9000000000000000000',
    );
  });

  test('rejects a fulfillment that is not a crypto-condition', () => {
    const created = createTransaction(alice, { car: 'x' });
    const broken = { ...created, inputs: [{ ...created.inputs[0], fulfillment: 'AAAA' }], id: null };
    const body = { ...broken, id: computeTransactionId(parseJson(JSON.stringify(broken)) as never) };

    expect(() => checkTransaction(parseJson(JSON.stringify(body)))).toThrow(
      "Invalid transaction (InvalidSignature): Fulfillment URI couldn't been parsed",
    );
  });
});
