import { fullYearsBetween, utcDateOf, yearsBefore } from '../../../../shared/leasing/calendar-date';
import { thrown } from '../../../helpers/thrown';

describe('#utcDateOf', () => {
  test('reads an instant as the UTC date it falls on', () => {
    expect(utcDateOf(new Date('2025-06-01T23:30:00Z'))).toBe('2025-06-01');
    expect(utcDateOf(new Date('2025-06-01T23:30:00-02:00'))).toBe('2025-06-02');
  });

  test('refuses an invalid Date', () => {
    expect(thrown(() => utcDateOf(new Date('not a date')))).toEqual(
      new RangeError('the date must be a valid Date within the years 0000-9999'),
    );
  });
});

describe('#yearsBefore', () => {
  test('keeps month and day', () => {
    expect(yearsBefore('2025-06-01', 5)).toBe('2020-06-01');
  });

  test('moves 29 February to 28 February in a year without a leap day', () => {
    expect(yearsBefore('2028-02-29', 5)).toBe('2023-02-28');
    expect(yearsBefore('2028-02-29', 4)).toBe('2024-02-29');
  });
});

describe('#fullYearsBetween', () => {
  test('counts an anniversary on its day', () => {
    expect(fullYearsBetween('2015-06-01', '2025-06-01')).toBe(10);
    expect(fullYearsBetween('2015-06-02', '2025-06-01')).toBe(9);
  });

  test('is 0 for a start after the end', () => {
    expect(fullYearsBetween('2025-06-02', '2025-06-01')).toBe(0);
  });

  test('counts the anniversary of 29 February on 1 March in a year without a leap day', () => {
    expect(fullYearsBetween('2020-02-29', '2021-02-28')).toBe(0);
    expect(fullYearsBetween('2020-02-29', '2021-03-01')).toBe(1);
  });
});
