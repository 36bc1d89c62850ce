/**
 * Calendar dates as `YYYY-MM-DD` text (RFC 3339 full-date, ajv's `date` format). Text of this shape sorts in
 * date order, so dates compare as strings. The leasing domain has no time zone of its own: an instant is read
 * as the UTC date it falls on.
 */

/**
 * The UTC calendar date of `instant`, e.g. `2025-06-01` for `2025-06-01T23:30:00Z`.
 *
 * @throws RangeError for an invalid `Date` or one outside the years 0000-9999.
 */
export function utcDateOf(instant: Date): string {
  const year = instant.getUTCFullYear();
  if (!(year >= 0 && year <= 9999)) throw new RangeError('the date must be a valid Date within the years 0000-9999');
  return instant.toISOString().slice(0, 10);
}

/**
 * The same month and day `years` years before `date`; 29 February becomes 28 February in a year that has no
 * leap day.
 */
export function yearsBefore(date: string, years: number): string {
  const year = String(Number(date.slice(0, 4)) - years).padStart(4, '0');
  const monthDay = date.slice(5);
  return monthDay === '02-29' && !isLeapYear(Number(year)) ? `${year}-02-28` : `${year}-${monthDay}`;
}

/**
 * Full years from `from` to `to`: how many anniversaries of `from` have passed on `to`, `to` included; 0 when
 * `to` is before `from`. An anniversary of 29 February falls on 1 March in a year without a leap day.
 */
export function fullYearsBetween(from: string, to: string): number {
  if (to < from) return 0;
  const years = Number(to.slice(0, 4)) - Number(from.slice(0, 4));
  return to.slice(5) < from.slice(5) ? years - 1 : years;
}

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}
