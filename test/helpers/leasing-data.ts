import { randomInt } from 'node:crypto';

import type { CarRegistration, LeaseRequest } from '../../shared/leasing/schemas';
import { vinCheckDigit } from '../../shared/leasing/vin';
import type { KeyPair } from '../../shared/transaction/signing';

const VIN_ALPHABET = '0123456789ABCDEFGHJKLMNPRSTUVWXYZ';

/** A random VIN with a correct check digit. */
export function randomVin(): string {
  const characters = Array.from({ length: 17 }, () => VIN_ALPHABET[randomInt(VIN_ALPHABET.length)] ?? '0');
  const draft = characters.join('');
  return `${draft.slice(0, 8)}${vinCheckDigit(draft)}${draft.slice(9)}`;
}

/** A valid car registration with a fresh VIN; `overrides` replace top-level fields. */
export function carRegistration(overrides: Partial<CarRegistration> = {}): CarRegistration {
  return {
    vin: randomVin(),
    make: 'Volkswagen',
    model: 'ID.4 Pro',
    year: 2024,
    listPrice: { amount: 45990, currency: 'EUR' },
    plant: { name: 'Zwickau', country: 'DE' },
    components: [
      {
        name: 'Traction battery',
        partNumber: '1EA915105B',
        substances: [{ name: 'Cobalt', casNumber: '7440-48-4', concentrationPercent: 4.5 }],
      },
      { name: 'Wiring harness', substances: [{ name: 'Lead', casNumber: '7439-92-1', concentrationPercent: 0.1 }] },
    ],
    ...overrides,
  };
}

/** A valid lease of a car to `driver` (id `D-<first characters of the key>`). */
export function leaseRequest(driver: KeyPair, overrides: Partial<LeaseRequest> = {}): LeaseRequest {
  return {
    driver: { id: `D-${driver.publicKey.slice(0, 8)}`, publicKey: driver.publicKey },
    startDate: '2026-01-01',
    endDate: '2028-12-31',
    yearlyMileageKm: 15_000,
    ...overrides,
  };
}
