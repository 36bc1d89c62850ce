import type { DriverHistory } from '../../../../shared/leasing/driver-history';
import { type PremiumInput, type PremiumQuote, quotePremium } from '../../../../shared/leasing/pricing';
import { thrown } from '../../../helpers/thrown';

const AS_OF = new Date('2025-06-01T00:00:00Z');
const CLEAN: DriverHistory = { licensedSince: '2018-03-01', atFaultAccidents: [], claims: [], violations: [] };
const CAR = { year: 2022, listPrice: { amount: 30000, currency: 'EUR' } } as const;
const INPUT: PremiumInput = { car: CAR, yearlyMileageKm: 15000, driver: CLEAN, asOf: AS_OF };

const premiumOf = (input: Partial<PremiumInput>): number => quotePremium({ ...INPUT, ...input }).annualPremium.amount;
const factorsOf = (input: Partial<PremiumInput>): PremiumQuote['factors'] =>
  quotePremium({ ...INPUT, ...input }).factors;
const WINDOW = 'after 2020-06-01 up to 2025-06-01';

describe('#quotePremium worked examples', () => {
  test('an experienced driver with one recent at-fault accident: 710.59375 × 1.25 = 888.24 EUR', () => {
    const driver: DriverHistory = { ...CLEAN, atFaultAccidents: [{ date: '2023-01-10' }] };
    expect(quotePremium({ ...INPUT, driver })).toEqual({
      annualPremium: { amount: 888.24, currency: 'EUR' },
      status: 'quoted',
      factors: {
        carValue: 18423.75,
        carAgeYears: 3,
        baseRate: 710.59375,
        driverFactor: 1.25,
        yearsLicensed: 7,
        atFaultAccidents5y: 1,
        claims5y: 0,
        violations5y: 0,
        mileageFactor: 1,
        unknownDriverSurcharge: 0,
        reasons: [
          'Car value 18423.75 EUR: list price 30000.00 EUR less 15% a year for 3 years since model year 2022.',
          'Base rate 710.59 EUR: 250.00 EUR plus 2.5% of the car value.',
          'Experience factor 1: licensed 7 full years (5 to 9 years).',
          `Accident factor 1.25: 1 at-fault accident ${WINDOW}, +25% each.`,
          `Claim factor 1: 0 claims ${WINDOW}, +10% each.`,
          `Violation factor 1: 0 violations ${WINDOW}, of which 0 DUI; +10% each, +50% for a DUI.`,
          'Driver factor 1.25: experience × accidents × claims × violations.',
          'Mileage factor 1: 15000 km a year (over 10,000 up to 20,000 km).',
        ],
      },
    });
  });

  test('an unknown driver is priced as average with a 50% surcharge and referred: 710.59375 × 1.15 × 1.5 = 1225.77 EUR', () => {
    expect(quotePremium({ ...INPUT, driver: undefined, yearlyMileageKm: 25000 })).toEqual({
      annualPremium: { amount: 1225.77, currency: 'EUR' },
      status: 'referred',
      factors: {
        carValue: 18423.75,
        carAgeYears: 3,
        baseRate: 710.59375,
        driverFactor: 1,
        yearsLicensed: null,
        atFaultAccidents5y: null,
        claims5y: null,
        violations5y: null,
        mileageFactor: 1.15,
        unknownDriverSurcharge: 0.5,
        reasons: [
          'Car value 18423.75 EUR: list price 30000.00 EUR less 15% a year for 3 years since model year 2022.',
          'Base rate 710.59 EUR: 250.00 EUR plus 2.5% of the car value.',
          'Driver factor 1: the insurer has no history of the driver.',
          'Unknown-driver surcharge 50%: the quote is referred to an underwriter.',
          'Mileage factor 1.15: 25000 km a year (over 20,000 up to 30,000 km).',
        ],
      },
    });
  });

  test('a novice with a claim, a speeding ticket and a DUI in a new car: 1500 × (1.6 × 1.1 × 1.6) × 0.9 = 3801.60 EUR', () => {
    const driver: DriverHistory = {
      licensedSince: '2024-09-01',
      atFaultAccidents: [],
      claims: [{ date: '2025-02-01', amountEur: 900 }],
      violations: [
        { date: '2025-03-01', kind: 'speeding' },
        { date: '2025-04-01', kind: 'dui' },
      ],
    };
    const quote = quotePremium({
      car: { year: 2025, listPrice: { amount: 50000, currency: 'EUR' } },
      yearlyMileageKm: 8000,
      driver,
      asOf: AS_OF,
    });
    expect(quote.annualPremium).toEqual({ amount: 3801.6, currency: 'EUR' });
    expect(quote.factors).toMatchObject({
      carValue: 50000,
      carAgeYears: 0,
      baseRate: 1500,
      driverFactor: 2.816,
      yearsLicensed: 0,
      atFaultAccidents5y: 0,
      claims5y: 1,
      violations5y: 2,
      mileageFactor: 0.9,
      unknownDriverSurcharge: 0,
    });
    expect(quote.factors.reasons.slice(2, 7)).toEqual([
      'Experience factor 1.6: licensed 0 full years (fewer than 2 years).',
      `Accident factor 1: 0 at-fault accidents ${WINDOW}, +25% each.`,
      `Claim factor 1.1: 1 claim ${WINDOW}, +10% each.`,
      `Violation factor 1.6: 2 violations ${WINDOW}, of which 1 DUI; +10% each, +50% for a DUI.`,
      'Driver factor 2.816: experience × accidents × claims × violations.',
    ]);
  });

  test('a driver factor of 6.72 is capped at 4: 471.85265625 × 4 × 1.3 = 2453.63 GBP', () => {
    const driver: DriverHistory = {
      licensedSince: '2024-09-01',
      atFaultAccidents: [{ date: '2024-01-01' }, { date: '2024-02-01' }, { date: '2024-03-01' }],
      claims: [{ date: '2024-01-02' }, { date: '2024-02-02' }],
      violations: [
        { date: '2025-03-01', kind: 'dui' },
        { date: '2025-04-01', kind: 'dui' },
      ],
    };
    const quote = quotePremium({
      car: { year: 2020, listPrice: { amount: 20000, currency: 'GBP' } },
      yearlyMileageKm: 35000,
      driver,
      asOf: AS_OF,
    });
    expect(quote.annualPremium).toEqual({ amount: 2453.63, currency: 'GBP' });
    expect(quote.factors).toMatchObject({
      carValue: 8874.10625,
      carAgeYears: 5,
      baseRate: 471.85265625,
      driverFactor: 4,
      mileageFactor: 1.3,
    });
    expect(quote.factors.reasons).toContain('Driver factor 4: the product 6.72 is capped at 4.');
    expect(quote.factors.reasons).toContain('Mileage factor 1.3: 35000 km a year (more than 30,000 km).');
  });

  test('a veteran with a clean record in a next-model-year car: 1250 × 0.9 × 0.9 = 1012.50 USD', () => {
    const driver: DriverHistory = { ...CLEAN, licensedSince: '2000-01-01' };
    const quote = quotePremium({
      car: { year: 2026, listPrice: { amount: 40000, currency: 'USD' } },
      yearlyMileageKm: 10000,
      driver,
      asOf: AS_OF,
    });
    expect(quote.annualPremium).toEqual({ amount: 1012.5, currency: 'USD' });
    expect(quote.factors).toMatchObject({
      carValue: 40000,
      carAgeYears: 0,
      baseRate: 1250,
      driverFactor: 0.9,
      yearsLicensed: 25,
      mileageFactor: 0.9,
    });
  });
});

describe('#quotePremium rounding', () => {
  test('rounds half a cent up as decimal arithmetic does, though the double of 256.025 × 100 is 25602.4999…', () => {
    // Base rate 250 + 2.5% of 241 = 256.025; every factor 1.
    expect(premiumOf({ car: { year: 2025, listPrice: { amount: 241, currency: 'EUR' } } })).toBe(256.03);
    expect(premiumOf({ car: { year: 2025, listPrice: { amount: 243.4, currency: 'EUR' } } })).toBe(256.09);
  });

  test('keeps intermediate figures to 12 significant digits, free of binary noise', () => {
    // 30000 × 0.85³ is 18423.749999999996 in doubles.
    expect(factorsOf({}).carValue).toBe(18423.75);
    // 99999.99 × 0.85¹⁰ = 19687.43846532822221777…
    expect(factorsOf({ car: { year: 2015, listPrice: { amount: 99999.99, currency: 'EUR' } } }).carValue).toBe(
      19687.4384653,
    );
  });
});

describe('#quotePremium car age', () => {
  test('counts calendar years of the UTC date of asOf since the model year', () => {
    expect(factorsOf({ asOf: new Date('2025-12-31T23:59:59Z') }).carAgeYears).toBe(3);
    expect(factorsOf({ asOf: new Date('2025-12-31T23:30:00-01:00') }).carAgeYears).toBe(4);
  });

  test('treats a model year after asOf as a new car', () => {
    expect(factorsOf({ car: { year: 2027, listPrice: CAR.listPrice } })).toMatchObject({
      carAgeYears: 0,
      carValue: 30000,
    });
  });
});

describe('#quotePremium years licensed', () => {
  test.each([
    ['2023-06-02', 1, 1.6],
    ['2023-06-01', 2, 1.25],
    ['2020-06-02', 4, 1.25],
    ['2020-06-01', 5, 1],
    ['2015-06-02', 9, 1],
    ['2015-06-01', 10, 0.9],
    ['2025-06-01', 0, 1.6],
    ['2025-07-01', 0, 1.6],
  ])('a licence from %s is %d full years, experience factor %d', (licensedSince, years, factor) => {
    expect(factorsOf({ driver: { ...CLEAN, licensedSince } })).toMatchObject({
      yearsLicensed: years,
      driverFactor: factor,
    });
  });
});

describe('#quotePremium five-year window', () => {
  const accidentOn = (date: string): Partial<PremiumInput> => ({ driver: { ...CLEAN, atFaultAccidents: [{ date }] } });

  test.each([
    ['exactly five years before asOf no longer counts', '2020-06-01', 0],
    ['the day after it counts', '2020-06-02', 1],
    ['asOf itself counts', '2025-06-01', 1],
    ['after asOf is not yet known and does not count', '2025-06-02', 0],
  ])('an accident %s', (_case, date, counted) => {
    expect(factorsOf(accidentOn(date)).atFaultAccidents5y).toBe(counted);
  });

  test('starts the window after 28 February when asOf is a 29 February', () => {
    const asOf = new Date('2028-02-29T00:00:00Z');
    expect(factorsOf({ ...accidentOn('2023-02-28'), asOf }).atFaultAccidents5y).toBe(0);
    expect(factorsOf({ ...accidentOn('2023-03-01'), asOf }).atFaultAccidents5y).toBe(1);
  });

  test('applies the same window to claims and violations', () => {
    const driver: DriverHistory = {
      ...CLEAN,
      claims: [{ date: '2020-06-01' }, { date: '2020-06-02' }],
      violations: [
        { date: '2020-06-01', kind: 'dui' },
        { date: '2020-06-02', kind: 'red-light' },
      ],
    };
    expect(factorsOf({ driver })).toMatchObject({ claims5y: 1, violations5y: 1, driverFactor: 1.21 });
  });
});

describe('#quotePremium mileage', () => {
  test.each([
    [0, 0.9],
    [10_000, 0.9],
    [10_001, 1],
    [20_000, 1],
    [20_001, 1.15],
    [30_000, 1.15],
    [30_001, 1.3],
    [200_000, 1.3],
  ])('%d km a year has mileage factor %d', (yearlyMileageKm, factor) => {
    expect(factorsOf({ yearlyMileageKm }).mileageFactor).toBe(factor);
  });
});

describe('#quotePremium monotonicity', () => {
  const histories: DriverHistory[] = [
    CLEAN,
    { ...CLEAN, licensedSince: '2024-01-01' },
    { ...CLEAN, licensedSince: '1990-01-01', claims: [{ date: '2024-01-01' }] },
    {
      ...CLEAN,
      atFaultAccidents: [{ date: '2022-01-01' }, { date: '2023-01-01' }],
      violations: [{ date: '2024-01-01', kind: 'dui' }],
    },
  ];
  const additions: [string, (history: DriverHistory) => DriverHistory][] = [
    ['an at-fault accident', (h) => ({ ...h, atFaultAccidents: [...h.atFaultAccidents, { date: '2024-05-05' }] })],
    ['a claim', (h) => ({ ...h, claims: [...h.claims, { date: '2024-05-05' }] })],
    [
      'a speeding violation',
      (h) => ({ ...h, violations: [...h.violations, { date: '2024-05-05', kind: 'speeding' }] }),
    ],
    ['a DUI', (h) => ({ ...h, violations: [...h.violations, { date: '2024-05-05', kind: 'dui' }] })],
  ];

  test.each(additions)('one more %s never makes a quote cheaper, and dearer until the cap', (_what, add) => {
    for (const start of histories) {
      let history = start;
      for (let step = 0; step < 12; step += 1) {
        const before = quotePremium({ ...INPUT, driver: history });
        history = add(history);
        const after = quotePremium({ ...INPUT, driver: history });
        expect(after.annualPremium.amount).toBeGreaterThanOrEqual(before.annualPremium.amount);
        if (before.factors.driverFactor < 4)
          expect(after.annualPremium.amount).toBeGreaterThan(before.annualPremium.amount);
      }
    }
  });

  test('more years licensed never make a quote dearer', () => {
    const years = Array.from({ length: 30 }, (_unused, index) => `${2025 - index}-06-01`);
    const premiums = years.map((licensedSince) => premiumOf({ driver: { ...CLEAN, licensedSince } }));
    for (let index = 1; index < premiums.length; index += 1)
      expect(premiums[index]).toBeLessThanOrEqual(premiums[index - 1] ?? Infinity);
  });

  test('an older car and a lower mileage never make a quote dearer', () => {
    expect(premiumOf({ car: { year: 2015, listPrice: CAR.listPrice } })).toBeLessThan(premiumOf({}));
    expect(premiumOf({ yearlyMileageKm: 9000 })).toBeLessThan(premiumOf({}));
  });
});

describe('#quotePremium purity', () => {
  test('gives the same quote for the same input and leaves the input unchanged', () => {
    const driver: DriverHistory = { ...CLEAN, claims: [{ date: '2024-01-01' }] };
    const input: PremiumInput = { ...INPUT, driver };
    const copy = structuredClone(input);
    expect(quotePremium(input)).toEqual(quotePremium(input));
    expect(input).toEqual(copy);
  });

  test.each([
    ['an invalid asOf', { asOf: new Date(Number.NaN) }, 'the date must be a valid Date within the years 0000-9999'],
    [
      'a list price of 0',
      { car: { year: 2022, listPrice: { amount: 0, currency: 'EUR' } } },
      'the list price must be a positive finite amount',
    ],
    ['a negative mileage', { yearlyMileageKm: -1 }, 'the yearly mileage must be a finite number of km >= 0'],
    ['a mileage of NaN', { yearlyMileageKm: Number.NaN }, 'the yearly mileage must be a finite number of km >= 0'],
  ])('refuses %s with a RangeError', (_case, change, message) => {
    expect(thrown(() => quotePremium({ ...INPUT, ...change }))).toEqual(new RangeError(message));
  });
});
