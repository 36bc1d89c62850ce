/**
 * CAS Registry Numbers, the identifiers the Chemical Abstracts Service gives substances (water is `7732-18-5`),
 * used to name a car component's substances of concern.
 */

/** Two to seven digits, two digits and the check digit, separated by hyphens (CAS's own layout). */
const CAS_SHAPE = /^(\d{2,7})-(\d{2})-(\d)$/;

/**
 * Whether `text` is a well-formed CAS Registry Number with a correct check digit: the last digit equals the
 * sum of the other digits, each multiplied by its position counted from the right (1 for the digit before
 * the check digit), modulo 10. A number that passes may still be unassigned; only CAS's registry knows.
 * Never throws.
 */
export function isValidCasNumber(text: string): boolean {
  const parts = CAS_SHAPE.exec(text);
  if (parts === null) return false;
  const [, first = '', second = '', check = ''] = parts;
  const digits = `${first}${second}`;
  let sum = 0;
  for (let index = 0; index < digits.length; index += 1) {
    sum += Number(digits.charAt(digits.length - 1 - index)) * (index + 1);
  }
  return sum % 10 === Number(check);
}
