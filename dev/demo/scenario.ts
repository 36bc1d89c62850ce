import { randomInt } from 'node:crypto';

import type { PremiumFactors } from '../../shared/leasing/pricing';
import type { CarRegistration } from '../../shared/leasing/schemas';
import type { DriverHistory } from '../../shared/leasing/schemas';
import { vinCheckDigit } from '../../shared/leasing/vin';
import { generateKeyPair, type KeyPair } from '../../shared/transaction/signing';
import type { LeasingApi } from './api-client';

// The car-leasing story the demo tells: the company registers cars with their substances of concern, the insurer
// records its drivers, cars are leased, one is returned and leased again, and every lease gets its premium.

/** A driver of the story; `history` undefined means the insurer has never heard of them. */
interface Driver {
  readonly name: string;
  readonly keys: KeyPair;
  readonly history: DriverHistory | undefined;
}

/** One lease and what the insurer made of it. */
export interface LeaseOutcome {
  readonly car: string;
  readonly driver: string;
  readonly transactionId: string;
  readonly annualPremium: { readonly amount: number; readonly currency: string };
  readonly status: 'quoted' | 'referred';
  readonly factors: PremiumFactors;
  /** From the committed lease (its 201) to the premium's `computedAt`, in milliseconds. */
  readonly latencyMs: number;
}

/** Progress of the story, for the terminal. */
export type Progress = (message: string) => void;

const VIN_CHARACTERS = '0123456789ABCDEFGHJKLMNPRSTUVWXYZ';

/** A fresh VIN for a manufacturer code, with its check digit: each run registers new cars. */
function freshVin(manufacturer: string): string {
  const draft =
    manufacturer +
    Array.from({ length: 17 - manufacturer.length }, () => VIN_CHARACTERS[randomInt(VIN_CHARACTERS.length)]).join('');
  return `${draft.slice(0, 8)}${vinCheckDigit(draft)}${draft.slice(9)}`;
}

function cars(): CarRegistration[] {
  return [
    {
      vin: freshVin('WVW'),
      make: 'Volkswagen',
      model: 'ID.4 Pro',
      year: 2024,
      listPrice: { amount: 45990, currency: 'EUR' },
      plant: { name: 'Zwickau', country: 'DE' },
      components: [
        {
          name: 'Traction battery',
          partNumber: '1EA915105B',
          substances: [
            { name: 'Cobalt', casNumber: '7440-48-4', concentrationPercent: 4.5 },
            { name: 'Lithium hexafluorophosphate', casNumber: '21324-40-3', concentrationPercent: 1.2 },
          ],
        },
        { name: 'Wiring harness', substances: [{ name: 'Lead', casNumber: '7439-92-1', concentrationPercent: 0.1 }] },
      ],
    },
    {
      vin: freshVin('WBY'),
      make: 'BMW',
      model: 'i3',
      year: 2021,
      listPrice: { amount: 39000, currency: 'EUR' },
      plant: { name: 'Leipzig', country: 'DE' },
      components: [
        { name: 'Brake pads', substances: [{ name: 'Copper', casNumber: '7440-50-8', concentrationPercent: 5 }] },
      ],
    },
    {
      vin: freshVin('SB1'),
      make: 'Toyota',
      model: 'Corolla Hybrid',
      year: 2019,
      listPrice: { amount: 27500, currency: 'EUR' },
      plant: { name: 'Burnaston', country: 'GB' },
      components: [
        { name: 'Hybrid battery', substances: [{ name: 'Nickel', casNumber: '7440-02-0', concentrationPercent: 18 }] },
      ],
    },
    {
      vin: freshVin('YV1'),
      make: 'Volvo',
      model: 'XC60 Recharge',
      year: 2025,
      listPrice: { amount: 68500, currency: 'EUR' },
      plant: { name: 'Torslanda', country: 'SE' },
      components: [
        {
          name: 'Seat foam',
          substances: [{ name: 'Toluene diisocyanate', casNumber: '26471-62-5', concentrationPercent: 0.05 }],
        },
      ],
    },
  ];
}

function drivers(): Driver[] {
  const none = { atFaultAccidents: [], claims: [], violations: [] };
  return [
    { name: 'Ana (licensed 2005, clean)', keys: generateKeyPair(), history: { licensedSince: '2005-03-01', ...none } },
    {
      name: 'Ben (novice, 1 claim)',
      keys: generateKeyPair(),
      history: { licensedSince: '2025-02-01', ...none, claims: [{ date: '2025-09-10', amountEur: 1800 }] },
    },
    {
      name: 'Chloé (accident, speeding)',
      keys: generateKeyPair(),
      history: {
        licensedSince: '2016-06-15',
        atFaultAccidents: [{ date: '2024-05-02' }],
        claims: [],
        violations: [{ date: '2025-01-15', kind: 'speeding' }],
      },
    },
    {
      name: 'Dan (drink-driving)',
      keys: generateKeyPair(),
      history: { licensedSince: '2010-09-01', ...none, violations: [{ date: '2023-07-01', kind: 'dui' }] },
    },
    { name: 'Eve (unknown to insurer)', keys: generateKeyPair(), history: undefined },
  ];
}

interface PendingLease {
  readonly assetId: string;
  readonly car: string;
  readonly driver: string;
  readonly transactionId: string;
  readonly committedAt: number;
}

/**
 * Tells the story through the HTTP API and waits for every premium, at most `timeoutMs`.
 *
 * @throws ApiCallError when a call fails; Error naming the leases still without a premium after `timeoutMs`.
 */
export async function runScenario(api: LeasingApi, progress: Progress, timeoutMs: number): Promise<LeaseOutcome[]> {
  const people = drivers();
  for (const { name, keys, history } of people) {
    if (history === undefined) continue;
    await api.call('PUT', `drivers/${keys.publicKey}`, history, [200, 201]);
    progress(`driver recorded: ${name}`);
  }
  const fleet: { assetId: string; label: string }[] = [];
  for (const car of cars()) {
    const { assetId } = (await api.call('POST', 'cars', car, [201])) as { assetId: string };
    const substances = car.components.flatMap(({ substances }) => substances.map(({ name }) => name));
    fleet.push({ assetId, label: `${car.make} ${car.model} ${car.vin}` });
    progress(
      `car registered: ${car.make} ${car.model} (VIN ${car.vin}; substances of concern: ${substances.join(', ')})`,
    );
  }
  const [ana, ben, chloe, dan, eve] = people as [Driver, Driver, Driver, Driver, Driver];
  const [first, second, third, fourth] = fleet as [
    (typeof fleet)[0],
    (typeof fleet)[0],
    (typeof fleet)[0],
    (typeof fleet)[0],
  ];
  const lease = async (car: (typeof fleet)[0], driver: Driver, yearlyMileageKm: number): Promise<PendingLease> => {
    const terms = {
      driver: { id: driver.name.split(' ')[0] ?? driver.name, publicKey: driver.keys.publicKey },
      startDate: '2026-12-01',
      endDate: '2029-11-30',
      yearlyMileageKm,
    };
    const { transactionId } = (await api.call('POST', `cars/${car.assetId}/leases`, terms, [201])) as {
      transactionId: string;
    };
    progress(`leased: ${car.label} to ${driver.name}, ${yearlyMileageKm} km a year`);
    return { assetId: car.assetId, car: car.label, driver: driver.name, transactionId, committedAt: Date.now() };
  };
  const leases = [
    await lease(first, ana, 12_000),
    await lease(second, ben, 8_000),
    await lease(third, chloe, 25_000),
    await lease(fourth, eve, 15_000),
  ];
  await api.call('POST', `cars/${first.assetId}/returns`, { returnedOn: '2026-12-20' }, [201]);
  progress(`returned: ${first.label} by ${ana.name}`);
  leases.push(await lease(first, dan, 35_000));
  return waitForPremiums(api, leases, progress, timeoutMs);
}

interface PremiumView {
  readonly transactionId: string;
  readonly annualPremium: LeaseOutcome['annualPremium'];
  readonly status: LeaseOutcome['status'];
  readonly factors: PremiumFactors;
  readonly computedAt: string;
}

async function waitForPremiums(
  api: LeasingApi,
  leases: readonly PendingLease[],
  progress: Progress,
  timeoutMs: number,
): Promise<LeaseOutcome[]> {
  const deadline = Date.now() + timeoutMs;
  const outcomes = new Map<string, LeaseOutcome>();
  let reported = -1;
  while (outcomes.size < leases.length) {
    for (const lease of leases.filter(({ transactionId }) => !outcomes.has(transactionId))) {
      const { premiums } = (await api.call('GET', `cars/${lease.assetId}/premiums`, undefined, [200])) as {
        premiums: PremiumView[];
      };
      const premium = premiums.find(({ transactionId }) => transactionId === lease.transactionId);
      if (premium === undefined) continue;
      const { annualPremium, status, factors, computedAt } = premium;
      outcomes.set(lease.transactionId, {
        car: lease.car,
        driver: lease.driver,
        transactionId: lease.transactionId,
        annualPremium,
        status,
        factors,
        latencyMs: Date.parse(computedAt) - lease.committedAt,
      });
    }
    if (outcomes.size !== reported) progress(`premiums stored: ${(reported = outcomes.size)} of ${leases.length}`);
    if (outcomes.size === leases.length) break;
    if (Date.now() > deadline) {
      const missing = leases
        .filter(({ transactionId }) => !outcomes.has(transactionId))
        .map(({ car, driver }) => `${car} / ${driver}`);
      throw new Error(
        `no premium after ${timeoutMs / 1000} s for: ${missing.join('; ')}. Is the relay running? (npm run relay -- status)`,
      );
    }
    // A client of the HTTP API can only ask again; 200 ms keeps the reported latency honest without flooding the app.
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return leases.map(({ transactionId }) => outcomes.get(transactionId) as LeaseOutcome);
}
