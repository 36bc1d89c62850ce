import { Transaction } from 'bigchaindb-driver';

import type { CarAsset, LeaseMetadata, ReturnMetadata } from '../../shared/leasing/schemas';
import type { KeyPair } from '../../shared/transaction/signing';
import { createTransaction, outputTo, type SignedTransaction, transferTransaction } from './transactions';

// Cars, leases and returns built independently of the app's own builders (shared/leasing/car-transactions.ts),
// with the official driver's builders, so that tests check the app against the conventions, not against itself.

/** A valid version-1 car asset; `vin` must carry a correct check digit. */
export function carAsset(vin = '1M8GDM9AXKP042788', overrides: Partial<CarAsset> = {}): CarAsset {
  return {
    kind: 'car',
    schemaVersion: 1,
    vin,
    make: 'Volkswagen',
    model: 'ID.4 Pro',
    year: 2024,
    listPrice: { amount: 45990, currency: 'EUR' },
    plant: { name: 'Zwickau', country: 'DE' },
    components: [
      { name: 'Traction battery', substances: [{ name: 'Cobalt', casNumber: '7440-48-4', concentrationPercent: 4.5 }] },
    ],
    ...overrides,
  };
}

/** Lease metadata for `lessee`, starting on `startDate` for three years. */
export function leaseMetadata(lessee: KeyPair, driverId = 'D-100234', startDate = '2025-07-01'): LeaseMetadata {
  const endYear = String(Number(startDate.slice(0, 4)) + 3);
  return {
    kind: 'lease',
    driver: { id: driverId, publicKey: lessee.publicKey },
    lease: { startDate, endDate: `${endYear}${startDate.slice(4)}`, yearlyMileageKm: 15000 },
  };
}

/** Return metadata. */
export function returnMetadata(returnedOn = '2026-06-30', odometerKm = 12000): ReturnMetadata {
  return { kind: 'return', returnedOn, odometerKm };
}

/** The 1-of-2 threshold output of `first` and `second` (lessee then company, by convention). */
export function thresholdOutput(
  first: string,
  second: string,
  threshold = 1,
): ReturnType<typeof Transaction.makeOutput> {
  const condition = Transaction.makeThresholdCondition(threshold, [
    Transaction.makeEd25519Condition(first, false),
    Transaction.makeEd25519Condition(second, false),
  ]);
  return Transaction.makeOutput(condition, '1');
}

/** The car's CREATE by `company`. */
export function registerCar(
  company: KeyPair,
  asset: CarAsset | Record<string, unknown> = carAsset(),
): SignedTransaction {
  return createTransaction(company, asset);
}

/** A lease of the car held by `company` alone (output 0 of `current`) to `lessee`, signed by the company. */
export function leaseCar(
  current: SignedTransaction,
  company: KeyPair,
  lessee: KeyPair,
  metadata = leaseMetadata(lessee),
): SignedTransaction {
  return transferTransaction(
    [{ tx: current, outputIndex: 0 }],
    [thresholdOutput(lessee.publicKey, company.publicKey)],
    [company],
    metadata,
  );
}

/** The company ends the lease `lease` with its own key: back to the company alone. */
export function returnCar(lease: SignedTransaction, company: KeyPair, metadata = returnMetadata()): SignedTransaction {
  return transferTransaction([{ tx: lease, outputIndex: 0 }], [outputTo(company)], [company], metadata);
}
