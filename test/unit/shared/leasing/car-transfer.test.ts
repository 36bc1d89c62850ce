import { Transaction } from 'bigchaindb-driver';

import { classifyCarTransfer, readCompanyCarRegistration } from '../../../../shared/leasing/car-transfer';
import { generateKeyPair } from '../../../../shared/transaction/signing';
import {
  carAsset,
  leaseCar,
  leaseMetadata,
  registerCar,
  returnCar,
  returnMetadata,
  thresholdOutput,
} from '../../../helpers/car-fixtures';
import {
  createTransaction,
  outputTo,
  type SignedTransaction,
  transferTransaction,
} from '../../../helpers/transactions';

const company = generateKeyPair();
const lessee = generateKeyPair();
const stranger = generateKeyPair();
const car = registerCar(company);
const lease = leaseCar(car, company, lessee);

const other = (reason: string): { kind: 'other'; reason: string } => ({ kind: 'other', reason });

describe('classifyCarTransfer', () => {
  describe('a lease', () => {
    test('from the company to a 1-of-2 threshold of lessee and company is a lease to the lessee', () => {
      expect(classifyCarTransfer(lease, company.publicKey)).toEqual({
        kind: 'lease',
        lessee: lessee.publicKey,
        metadata: leaseMetadata(lessee),
        spentTransactionId: car.id,
      });
    });

    test('with the threshold keys in the other order is still a lease', () => {
      const swapped = transferTransaction(
        [{ tx: car, outputIndex: 0 }],
        [thresholdOutput(company.publicKey, lessee.publicKey)],
        [company],
        leaseMetadata(lessee),
      );
      expect(classifyCarTransfer(swapped, company.publicKey)).toMatchObject({
        kind: 'lease',
        lessee: lessee.publicKey,
      });
    });

    test('after a return spends the return and is a lease again', () => {
      const returned = returnCar(lease, company);
      const again = leaseCar(returned, company, stranger, leaseMetadata(stranger, 'D-2', '2026-07-01'));
      expect(classifyCarTransfer(again, company.publicKey)).toMatchObject({
        kind: 'lease',
        lessee: stranger.publicKey,
        spentTransactionId: returned.id,
      });
    });

    test("whose threshold's other key is not the driver in the metadata is other", () => {
      const mismatched = leaseCar(car, company, lessee, leaseMetadata(stranger));
      expect(classifyCarTransfer(mismatched, company.publicKey)).toEqual(
        other("the lease threshold's other key is not the driver's public key (metadata.driver.publicKey)"),
      );
    });

    test('to the lessee alone (no threshold) is other', () => {
      const plain = transferTransaction(
        [{ tx: car, outputIndex: 0 }],
        [outputTo(lessee)],
        [company],
        leaseMetadata(lessee),
      );
      expect(classifyCarTransfer(plain, company.publicKey)).toEqual(
        other('a lease output must be a 1-of-2 threshold of two Ed25519 keys'),
      );
    });

    test('to a 2-of-2 threshold is other', () => {
      const twoOfTwo = transferTransaction(
        [{ tx: car, outputIndex: 0 }],
        [thresholdOutput(lessee.publicKey, company.publicKey, 2)],
        [company],
        leaseMetadata(lessee),
      );
      expect(classifyCarTransfer(twoOfTwo, company.publicKey)).toEqual(
        other('a lease output must be a 1-of-2 threshold of two Ed25519 keys'),
      );
    });

    test('to a threshold without the company is other', () => {
      const without = transferTransaction(
        [{ tx: car, outputIndex: 0 }],
        [thresholdOutput(lessee.publicKey, stranger.publicKey)],
        [company],
        leaseMetadata(lessee),
      );
      expect(classifyCarTransfer(without, company.publicKey)).toEqual(
        other('the lease threshold must hold the leasing company and one other key'),
      );
    });

    test('of a car someone else holds is other', () => {
      const theirs = registerCar(stranger);
      const sublease = leaseCar(theirs, stranger, lessee);
      expect(classifyCarTransfer(sublease, company.publicKey)).toEqual(
        other('a lease must spend an output held by the leasing company alone'),
      );
    });

    test('by the lessee, spending the lease threshold, is other', () => {
      const sublease = transferTransaction(
        [{ tx: lease, outputIndex: 0 }],
        [thresholdOutput(stranger.publicKey, company.publicKey)],
        [lessee],
        leaseMetadata(stranger),
      );
      expect(classifyCarTransfer(sublease, company.publicKey)).toEqual(
        other('a lease must spend an output held by the leasing company alone'),
      );
    });

    test('whose metadata ends before it starts is other', () => {
      const metadata = {
        ...leaseMetadata(lessee),
        lease: { startDate: '2025-07-01', endDate: '2025-06-30', yearlyMileageKm: 15000 },
      };
      expect(classifyCarTransfer(leaseCar(car, company, lessee, metadata), company.publicKey)).toEqual(
        other('its metadata says lease but is not valid lease metadata'),
      );
    });

    test('whose owners_before claim the company while the fulfillment is of another key is other', () => {
      const theirs = leaseCar(registerCar(stranger), stranger, lessee);
      const forged = {
        ...theirs,
        inputs: theirs.inputs.map((input) => ({ ...input, owners_before: [company.publicKey] })),
      };
      expect(classifyCarTransfer(forged, company.publicKey)).toEqual(
        other('a lease must spend an output held by the leasing company alone'),
      );
    });
  });

  describe('a return', () => {
    test('spending the lease threshold back to the company alone is a return from the lessee', () => {
      const returned = returnCar(lease, company);
      expect(classifyCarTransfer(returned, company.publicKey)).toEqual({
        kind: 'return',
        formerLessee: lessee.publicKey,
        metadata: returnMetadata(),
        spentTransactionId: lease.id,
      });
    });

    test('signed by the lessee rather than the company is still a return', () => {
      const byLessee = transferTransaction(
        [{ tx: lease, outputIndex: 0 }],
        [outputTo(company)],
        [lessee],
        returnMetadata(),
      );
      expect(classifyCarTransfer(byLessee, company.publicKey)).toMatchObject({
        kind: 'return',
        formerLessee: lessee.publicKey,
      });
    });

    test('to the lessee alone is other', () => {
      const kept = transferTransaction(
        [{ tx: lease, outputIndex: 0 }],
        [outputTo(lessee)],
        [company],
        returnMetadata(),
      );
      expect(classifyCarTransfer(kept, company.publicKey)).toEqual(
        other('a return output must be held by the leasing company alone'),
      );
    });

    test('of a car that was not leased (held by the company alone) is other', () => {
      const notLeased = transferTransaction(
        [{ tx: car, outputIndex: 0 }],
        [outputTo(company)],
        [company],
        returnMetadata(),
      );
      expect(classifyCarTransfer(notLeased, company.publicKey)).toEqual(
        other('a return must spend a 1-of-2 threshold output of the leasing company and one other key'),
      );
    });

    test('whose metadata lacks returnedOn is other', () => {
      const returned = returnCar(lease, company, { kind: 'return' } as never);
      expect(classifyCarTransfer(returned, company.publicKey)).toEqual(
        other('its metadata says return but is not valid return metadata'),
      );
    });
  });

  describe('anything else', () => {
    test('a CREATE is other', () => {
      expect(classifyCarTransfer(car, company.publicKey)).toEqual(other('it is not a TRANSFER'));
    });

    test('a transfer without lease or return metadata is other', () => {
      const plain = transferTransaction([{ tx: car, outputIndex: 0 }], [outputTo(stranger)], [company], {
        note: 'sold',
      });
      expect(classifyCarTransfer(plain, company.publicKey)).toEqual(
        other('its metadata is neither a lease nor a return (metadata.kind)'),
      );
      const bare = transferTransaction([{ tx: car, outputIndex: 0 }], [outputTo(stranger)], [company]);
      expect(classifyCarTransfer(bare, company.publicKey)).toEqual(
        other('its metadata is neither a lease nor a return (metadata.kind)'),
      );
    });

    test('a transfer splitting the car over two outputs is other', () => {
      const split = transferTransaction(
        [{ tx: car, outputIndex: 0 }],
        [
          thresholdOutput(lessee.publicKey, company.publicKey),
          Transaction.makeOutput(Transaction.makeEd25519Condition(company.publicKey), '1'),
        ],
        [company],
        leaseMetadata(lessee),
      );
      expect(classifyCarTransfer(split, company.publicKey)).toEqual(other('a car transfer has exactly one output'));
    });

    test.each<[string, unknown, string]>([
      ['null', null, 'it is not a TRANSFER'],
      ['a number', 42, 'it is not a TRANSFER'],
      ['an array', [lease], 'it is not a TRANSFER'],
      ['a TRANSFER without inputs', { operation: 'TRANSFER' }, 'a car transfer has exactly one input'],
      ['two inputs', { ...lease, inputs: [lease.inputs[0], lease.inputs[0]] }, 'a car transfer has exactly one input'],
      [
        'an input without fulfills',
        { ...lease, inputs: [{ ...lease.inputs[0], fulfills: null }] },
        'its input is malformed',
      ],
      [
        'a non-string fulfillment',
        { ...lease, inputs: [{ ...lease.inputs[0], fulfillment: { type: 'x' } }] },
        'its input is malformed',
      ],
      [
        'an output without details',
        { ...lease, outputs: [{ amount: '1', public_keys: [] }] },
        'its output is malformed',
      ],
      [
        'an amount other than 1',
        { ...lease, outputs: [{ ...lease.outputs[0], amount: '2' }] },
        'a car transfer moves the whole car (amount "1")',
      ],
      [
        'a fulfillment that is no crypto-condition',
        withFulfillment(lease, 'bm90IGEgZnVsZmlsbG1lbnQ'),
        'a lease must spend an output held by the leasing company alone',
      ],
    ])('%s is other, without throwing', (_name, transaction, reason) => {
      expect(classifyCarTransfer(transaction, company.publicKey)).toEqual(other(reason));
    });

    test('a company key that is not base58 makes every transfer other', () => {
      expect(classifyCarTransfer(lease, 'not-a-key!')).toEqual(
        other('a lease must spend an output held by the leasing company alone'),
      );
    });
  });
});

describe('readCompanyCarRegistration', () => {
  test("reads the company's CREATE of a car as the car", () => {
    expect(readCompanyCarRegistration(car, company.publicKey)).toEqual(carAsset());
  });

  test('a car registered by someone else is undefined', () => {
    expect(readCompanyCarRegistration(registerCar(stranger), company.publicKey)).toBeUndefined();
  });

  test('a CREATE of the company whose data is not a version-1 car is undefined', () => {
    expect(
      readCompanyCarRegistration(createTransaction(company, { kind: 'painting' }), company.publicKey),
    ).toBeUndefined();
    expect(
      readCompanyCarRegistration(registerCar(company, { ...carAsset(), schemaVersion: 2 }), company.publicKey),
    ).toBeUndefined();
  });

  test('a CREATE issued jointly by the company and another key is undefined', () => {
    const joint = {
      ...car,
      inputs: car.inputs.map((input) => ({ ...input, owners_before: [company.publicKey, stranger.publicKey] })),
    };
    expect(readCompanyCarRegistration(joint, company.publicKey)).toBeUndefined();
  });

  test.each<[string, unknown]>([
    ['a TRANSFER', lease],
    ['null', null],
    ['a string', 'CREATE'],
    ['a CREATE without inputs', { ...car, inputs: undefined }],
  ])('%s is undefined', (_name, value) => {
    expect(readCompanyCarRegistration(value, company.publicKey)).toBeUndefined();
  });
});

function withFulfillment(transaction: SignedTransaction, fulfillment: string): SignedTransaction {
  return { ...transaction, inputs: transaction.inputs.map((input) => ({ ...input, fulfillment })) };
}
