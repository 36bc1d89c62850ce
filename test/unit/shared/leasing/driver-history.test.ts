import { type DriverHistory, parseDriverHistory } from '../../../../shared/leasing/driver-history';
import * as schemas from '../../../../shared/leasing/schemas';
import { thrown } from '../../../helpers/thrown';
import { failure, validationFailure } from '../../../helpers/validation-failure';

const TODAY = new Date('2025-06-01T12:00:00Z');

const HISTORY: DriverHistory = {
  licensedSince: '2012-05-03',
  atFaultAccidents: [{ date: '2023-04-17', description: 'Rear-ended at a junction' }, { date: '2024-01-09' }],
  claims: [
    { date: '2023-04-20', amountEur: 1850 },
    { date: '2024-01-15', description: 'Windscreen' },
  ],
  violations: [
    { date: '2024-09-02', kind: 'speeding' },
    { date: '2025-01-11', kind: 'dui' },
  ],
};

const EMPTY: DriverHistory = { licensedSince: '2012-05-03', atFaultAccidents: [], claims: [], violations: [] };

// @ts-expect-error a violation kind the schema does not list
const _parking: DriverHistory = { ...EMPTY, violations: [{ date: '2024-09-02', kind: 'parking' }] };
// eslint-disable-next-line @typescript-eslint/no-meaningless-void-operator -- reads the compile-time-only fixtures above, for noUnusedLocals
void _parking;

describe('#parseDriverHistory', () => {
  test('is also exported by the schemas module, with its schema', () => {
    expect(schemas.parseDriverHistory).toBe(parseDriverHistory);
    expect(schemas.driverHistorySchema.required).toEqual(['licensedSince', 'atFaultAccidents', 'claims', 'violations']);
  });

  test('returns a valid history as it is', () => {
    expect(parseDriverHistory(HISTORY, TODAY)).toBe(HISTORY);
  });

  test('accepts a clean record with empty lists', () => {
    expect(parseDriverHistory(EMPTY, TODAY)).toBe(EMPTY);
  });

  test('accepts every violation kind', () => {
    for (const kind of ['speeding', 'red-light', 'phone-use', 'dui', 'other'] as const) {
      const history: DriverHistory = { ...EMPTY, violations: [{ date: '2024-09-02', kind }] };
      expect(parseDriverHistory(history, TODAY)).toBe(history);
    }
  });

  test('accepts dates on the UTC day of today, however late in the day', () => {
    const history: DriverHistory = { ...EMPTY, licensedSince: '2025-06-01', claims: [{ date: '2025-06-01' }] };
    expect(parseDriverHistory(history, new Date('2025-06-01T23:59:59.999Z'))).toBe(history);
    // 23:30 at UTC-2 is already 2 June in UTC.
    const next: DriverHistory = { ...EMPTY, claims: [{ date: '2025-06-02' }] };
    expect(parseDriverHistory(next, new Date('2025-06-01T23:30:00-02:00'))).toBe(next);
  });

  test.each([
    ['a licence issued tomorrow', { ...EMPTY, licensedSince: '2025-06-02' }, '/licensedSince'],
    [
      'an accident tomorrow',
      { ...HISTORY, atFaultAccidents: [{ date: '2023-04-17' }, { date: '2025-06-02' }] },
      '/atFaultAccidents/1/date',
    ],
    ['a claim next year', { ...HISTORY, claims: [{ date: '2026-01-01' }] }, '/claims/0/date'],
    ['a violation tomorrow', { ...HISTORY, violations: [{ date: '2025-06-02', kind: 'other' }] }, '/violations/0/date'],
    [
      'a future licence and a future claim, naming the licence first',
      { ...EMPTY, licensedSince: '2030-01-01', claims: [{ date: '2030-01-01' }] },
      '/licensedSince',
    ],
    [
      'a future violation and a future accident, naming the accident first',
      { ...EMPTY, atFaultAccidents: [{ date: '2030-01-01' }], violations: [{ date: '2030-01-01', kind: 'dui' }] },
      '/atFaultAccidents/0/date',
    ],
  ])('refuses %s', (_case, body, field) => {
    expect(validationFailure(thrown(() => parseDriverHistory(body, TODAY)))).toEqual(
      failure(field, 'not-in-future', `driver history ${field} must not be in the future`),
    );
  });

  const ACCIDENT = { date: '2023-04-17' };
  test.each([
    [
      'a licence date that is no date',
      { licensedSince: '2012-13-03' },
      '/licensedSince',
      'date',
      'must be a date (YYYY-MM-DD)',
    ],
    [
      'an unknown violation kind',
      { violations: [{ date: '2024-09-02', kind: 'parking' }] },
      '/violations/0/kind',
      'enum',
      'must be one of "speeding", "red-light", "phone-use", "dui", "other"',
    ],
    [
      'a violation without kind',
      { violations: [{ date: '2024-09-02' }] },
      '/violations/0/kind',
      'required',
      'is required',
    ],
    [
      'a negative claim amount',
      { claims: [{ date: '2024-01-15', amountEur: -1 }] },
      '/claims/0/amountEur',
      'minimum',
      'must be >= 0',
    ],
    [
      'a claim amount as text',
      { claims: [{ date: '2024-01-15', amountEur: '1850' }] },
      '/claims/0/amountEur',
      'type',
      'must be number',
    ],
    [
      'a claim in another currency',
      { claims: [{ date: '2024-01-15', amountUsd: 10 }] },
      '/claims/0/amountUsd',
      'additionalProperties',
      'is not an allowed property',
    ],
    [
      'an accident without date',
      { atFaultAccidents: [{ description: 'Hail' }] },
      '/atFaultAccidents/0/date',
      'required',
      'is required',
    ],
    [
      'a description of 501 characters',
      { atFaultAccidents: [{ ...ACCIDENT, description: 'x'.repeat(501) }] },
      '/atFaultAccidents/0/description',
      'maxLength',
      'must NOT have more than 500 characters',
    ],
    [
      '101 accidents',
      { atFaultAccidents: Array(101).fill(ACCIDENT) },
      '/atFaultAccidents',
      'maxItems',
      'must NOT have more than 100 items',
    ],
    ['claims left out rather than empty', { claims: undefined }, '/claims', 'required', 'is required'],
    ['a licence date left out', { licensedSince: undefined }, '/licensedSince', 'required', 'is required'],
    ['a score the insurer does not keep', { score: 3 }, '/score', 'additionalProperties', 'is not an allowed property'],
  ])('refuses %s, naming the field and the rule', (_case, change, field, rule, detail) => {
    const body = JSON.parse(JSON.stringify({ ...EMPTY, ...change })) as unknown;
    expect(validationFailure(thrown(() => parseDriverHistory(body, TODAY)))).toEqual(
      failure(field, rule, `driver history ${field} ${detail}`),
    );
  });

  test('refuses a list as a whole', () => {
    expect(validationFailure(thrown(() => parseDriverHistory([EMPTY], TODAY)))).toEqual(
      failure('', 'type', 'driver history must be object'),
    );
  });

  test('refuses to judge dates against an invalid today', () => {
    expect(thrown(() => parseDriverHistory(EMPTY, new Date(Number.NaN)))).toBeInstanceOf(RangeError);
  });
});
