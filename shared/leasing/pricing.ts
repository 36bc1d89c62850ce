import { fullYearsBetween, utcDateOf, yearsBefore } from './calendar-date';
import type { DriverHistory } from './driver-history';
import type { CarAsset } from './schemas';

/*
 * The insurer's premium model for a leased car: a yearly premium for third-party and own-damage cover, the
 * product of a base rate (what the car costs to repair or replace) and factors for the driver and the use.
 *
 *   annual premium = base rate × driver factor × mileage factor × (1 + unknown-driver surcharge)
 *
 * Every number of the model is a named constant below with its reason. Money is never rounded on the way:
 * only the annual premium is, once, to cents. Intermediate figures are kept to 12 significant digits, which
 * removes binary floating-point noise (30000 × 0.85³ is 18423.749999999996 in doubles, 18423.75 here) and
 * is far finer than a cent for any price the schema allows. The model reads no clock: `asOf` says which day
 * it prices.
 */

/** Share of its value a car keeps each year (15 % depreciation a year, compounded, by model year). */
const VALUE_KEPT_PER_YEAR = 0.85;
/** Fixed part of the base rate, in currency units: cover that does not depend on the car (liability). */
const BASE_FEE = 250;
/** Variable part of the base rate: the share of the car's value that own-damage cover costs a year. */
const VALUE_RATE = 0.025;

/** Experience factor by full years licensed: the first rung whose limit the driver's years stay under. */
const EXPERIENCE_RUNGS = [
  { under: 2, factor: 1.6, label: 'fewer than 2 years' },
  { under: 5, factor: 1.25, label: '2 to 4 years' },
  { under: 10, factor: 1.0, label: '5 to 9 years' },
  { under: Infinity, factor: 0.9, label: '10 years or more' },
] as const;
/** Years of record that count: an event counts when it happened after the same day this many years before. */
const LOOK_BACK_YEARS = 5;
/** Loading per at-fault accident in the look-back window. */
const ACCIDENT_LOADING = 0.25;
/** Loading per claim in the look-back window (claims and accidents are separate records, both count). */
const CLAIM_LOADING = 0.1;
/** Loading per violation in the look-back window; driving under the influence weighs five times more. */
const VIOLATION_LOADING = 0.1;
const DUI_LOADING = 0.5;
/** Highest driver factor, so that stacked loadings cannot price a driver beyond what the worst risks are charged. */
const DRIVER_FACTOR_CAP = 4.0;

/** Mileage factor by yearly kilometres allowed: the first band whose limit the mileage does not exceed. */
const MILEAGE_BANDS = [
  { upToKm: 10_000, factor: 0.9, label: 'up to 10,000 km' },
  { upToKm: 20_000, factor: 1.0, label: 'over 10,000 up to 20,000 km' },
  { upToKm: 30_000, factor: 1.15, label: 'over 20,000 up to 30,000 km' },
  { upToKm: Infinity, factor: 1.3, label: 'more than 30,000 km' },
] as const;

/** Surcharge when the insurer has no history of the driver: priced as average, loaded, and referred. */
const UNKNOWN_DRIVER_SURCHARGE = 0.5;

/** Every factor of a {@link PremiumQuote}, as used, so that the premium can be recomputed and explained. */
export interface PremiumFactors {
  /**
   * Depreciated value of the car, in the list price's currency: list price × 0.85^carAgeYears (to 12
   * significant digits, not rounded to cents).
   */
  readonly carValue: number;
  /** Calendar year of `asOf` minus the model year, at least 0. */
  readonly carAgeYears: number;
  /** 250 + 2.5 % of `carValue`, in currency units (12 significant digits, not rounded to cents). */
  readonly baseRate: number;
  /** Experience × accidents × claims × violations, at most 4.0; exactly 1 for an unknown driver. */
  readonly driverFactor: number;
  /** Full years from `licensedSince` to `asOf`; `null` for an unknown driver (as are the three counts). */
  readonly yearsLicensed: number | null;
  /** At-fault accidents after the day five years before `asOf`, up to `asOf` included. */
  readonly atFaultAccidents5y: number | null;
  /** Claims in the same window. */
  readonly claims5y: number | null;
  /** Violations in the same window, DUI included. */
  readonly violations5y: number | null;
  /** 0.9, 1.0, 1.15 or 1.3 by yearly mileage. */
  readonly mileageFactor: number;
  /** 0.5 for an unknown driver, else 0. */
  readonly unknownDriverSurcharge: number;
  /** One English sentence per factor, in the order of the formula, with the figures rounded for reading. */
  readonly reasons: readonly string[];
}

/** The insurer's yearly premium for a car leased to a driver. */
export interface PremiumQuote {
  /** Rounded half up to cents, in the currency of the car's list price. */
  readonly annualPremium: { readonly amount: number; readonly currency: string };
  /** `referred`: the driver is unknown to the insurer, and an underwriter must confirm the provisional premium. */
  readonly status: 'quoted' | 'referred';
  readonly factors: PremiumFactors;
}

/** What {@link quotePremium} prices. */
export interface PremiumInput {
  readonly car: Pick<CarAsset, 'year' | 'listPrice'>;
  /** Kilometres a year the lease allows. */
  readonly yearlyMileageKm: number;
  /** The insurer's record of the driver, `undefined` when it has none. */
  readonly driver: DriverHistory | undefined;
  /** The day priced (its UTC date): the car's age, years licensed and the five-year window count from it. */
  readonly asOf: Date;
}

/**
 * Prices a leased car for a driver: `baseRate × driverFactor × mileageFactor × (1 + unknownDriverSurcharge)`,
 * rounded once, half up, to cents.
 *
 * - Car value: the list price less 15 % a year, compounded, for each calendar year since the model year
 *   (`0.85^age`; a model year after `asOf` counts as age 0). The base rate is 250 plus 2.5 % of that value.
 * - Driver factor, for a known driver: the experience factor by full years licensed on `asOf` (under 2: 1.6,
 *   under 5: 1.25, under 10: 1.0, else 0.9), × (1 + 0.25 per at-fault accident) × (1 + 0.10 per claim)
 *   × (1 + 0.10 per violation, 0.50 per DUI), counting events dated after the same day five years before
 *   `asOf` and not after `asOf` (one exactly five years old no longer counts; a later one is not yet known).
 *   The product is capped at 4.0.
 * - Mileage factor: up to 10,000 km a year 0.9, up to 20,000 1.0, up to 30,000 1.15, more 1.3.
 * - Unknown driver (no history): driver factor 1.0, a 50 % surcharge, and status `referred`.
 *
 * Deterministic: same input, same quote. More accidents, claims or violations never make it cheaper.
 *
 * @throws RangeError when `asOf` is not a valid date, the list price is not a positive finite amount, or the
 * mileage is not a finite number of kilometres ≥ 0.
 */
export function quotePremium({ car, yearlyMileageKm, driver, asOf }: PremiumInput): PremiumQuote {
  const day = utcDateOf(asOf);
  const { amount: listPrice, currency } = car.listPrice;
  if (!(Number.isFinite(listPrice) && listPrice > 0)) {
    throw new RangeError('the list price must be a positive finite amount');
  }
  if (!(Number.isFinite(yearlyMileageKm) && yearlyMileageKm >= 0)) {
    throw new RangeError('the yearly mileage must be a finite number of km >= 0');
  }

  const carAgeYears = Math.max(0, Number(day.slice(0, 4)) - car.year);
  const carValue = significant(listPrice * VALUE_KEPT_PER_YEAR ** carAgeYears);
  const baseRate = significant(BASE_FEE + VALUE_RATE * carValue);
  const mileage = MILEAGE_BANDS.find(({ upToKm }) => yearlyMileageKm <= upToKm) ?? MILEAGE_BANDS[3];
  const rated = driver === undefined ? unknownDriver() : knownDriver(driver, day);
  const amount = roundToCents(baseRate * rated.driverFactor * mileage.factor * (1 + rated.unknownDriverSurcharge));

  const reasons = [
    `Car value ${money(carValue, currency)}: list price ${money(listPrice, currency)} less 15% a year ` +
      `for ${plural(carAgeYears, 'year')} since model year ${car.year}.`,
    `Base rate ${money(baseRate, currency)}: ${money(BASE_FEE, currency)} plus 2.5% of the car value.`,
    ...rated.reasons,
    `Mileage factor ${decimal(mileage.factor)}: ${yearlyMileageKm} km a year (${mileage.label}).`,
  ];
  return {
    annualPremium: { amount, currency },
    status: driver === undefined ? 'referred' : 'quoted',
    factors: {
      carValue,
      carAgeYears,
      baseRate,
      driverFactor: rated.driverFactor,
      yearsLicensed: rated.yearsLicensed,
      atFaultAccidents5y: rated.atFaultAccidents5y,
      claims5y: rated.claims5y,
      violations5y: rated.violations5y,
      mileageFactor: mileage.factor,
      unknownDriverSurcharge: rated.unknownDriverSurcharge,
      reasons,
    },
  };
}

type DriverRating = Pick<
  PremiumFactors,
  | 'driverFactor'
  | 'yearsLicensed'
  | 'atFaultAccidents5y'
  | 'claims5y'
  | 'violations5y'
  | 'unknownDriverSurcharge'
  | 'reasons'
>;

function knownDriver(driver: DriverHistory, day: string): DriverRating {
  const yearsLicensed = fullYearsBetween(driver.licensedSince, day);
  const experience = EXPERIENCE_RUNGS.find(({ under }) => yearsLicensed < under) ?? EXPERIENCE_RUNGS[3];
  const after = yearsBefore(day, LOOK_BACK_YEARS);
  const inWindow = ({ date }: { readonly date: string }): boolean => date > after && date <= day;
  const accidents = driver.atFaultAccidents.filter(inWindow).length;
  const claims = driver.claims.filter(inWindow).length;
  const violations = driver.violations.filter(inWindow);
  const duis = violations.filter(({ kind }) => kind === 'dui').length;

  const accidentFactor = significant(1 + ACCIDENT_LOADING * accidents);
  const claimFactor = significant(1 + CLAIM_LOADING * claims);
  const violationFactor = significant(1 + VIOLATION_LOADING * (violations.length - duis) + DUI_LOADING * duis);
  const uncapped = significant(experience.factor * accidentFactor * claimFactor * violationFactor);
  const driverFactor = Math.min(DRIVER_FACTOR_CAP, uncapped);
  const window = `after ${after} up to ${day}`;
  return {
    driverFactor,
    yearsLicensed,
    atFaultAccidents5y: accidents,
    claims5y: claims,
    violations5y: violations.length,
    unknownDriverSurcharge: 0,
    reasons: [
      `Experience factor ${decimal(experience.factor)}: ` +
        `licensed ${plural(yearsLicensed, 'full year')} (${experience.label}).`,
      `Accident factor ${decimal(accidentFactor)}: ${plural(accidents, 'at-fault accident')} ${window}, +25% each.`,
      `Claim factor ${decimal(claimFactor)}: ${plural(claims, 'claim')} ${window}, +10% each.`,
      `Violation factor ${decimal(violationFactor)}: ${plural(violations.length, 'violation')} ${window}, ` +
        `of which ${duis} DUI; +10% each, +50% for a DUI.`,
      `Driver factor ${decimal(driverFactor)}: ` +
        (driverFactor < uncapped
          ? `the product ${decimal(uncapped)} is capped at ${decimal(DRIVER_FACTOR_CAP)}.`
          : 'experience × accidents × claims × violations.'),
    ],
  };
}

function unknownDriver(): DriverRating {
  return {
    driverFactor: 1,
    yearsLicensed: null,
    atFaultAccidents5y: null,
    claims5y: null,
    violations5y: null,
    unknownDriverSurcharge: UNKNOWN_DRIVER_SURCHARGE,
    reasons: [
      'Driver factor 1: the insurer has no history of the driver.',
      'Unknown-driver surcharge 50%: the quote is referred to an underwriter.',
    ],
  };
}

/** `value` to 12 significant digits: what decimal arithmetic would give, without the binary noise. */
function significant(value: number): number {
  return Number(value.toPrecision(12));
}

/**
 * Half up to cents, read at 12 significant digits first: 256.025 in decimal arithmetic rounds to 256.03 even
 * though the double nearest to it, times 100, is 25602.499999999996.
 */
function roundToCents(amount: number): number {
  return Math.round(significant(significant(amount) * 100)) / 100;
}

function money(amount: number, currency: string): string {
  return `${amount.toFixed(2)} ${currency}`;
}

function decimal(factor: number): string {
  return String(Number(factor.toFixed(4)));
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}
