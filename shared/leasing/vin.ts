/**
 * Vehicle identification numbers (ISO 3779) and their check digit, as North America requires it
 * (49 CFR 565.15) and as most makers worldwide write it. The leasing company refuses a VIN whose check digit
 * is wrong, which catches almost every single mistyped character or swapped pair.
 *
 * Only upper case is accepted: a VIN is printed in capitals, and silently upper-casing would store, on an
 * immutable ledger, a spelling the car does not carry. Callers that want leniency upper-case on purpose.
 */

/** 17 characters from the VIN alphabet: digits and capital letters without I, O and Q (mistaken for 1 and 0). */
const VIN_SHAPE = /^[A-HJ-NPR-Z0-9]{17}$/;

// 49 CFR 565.15 table I: the letters, and the value each one counts for (1-9 in runs, I, O and Q skipped).
const LETTERS = 'ABCDEFGHJKLMNPRSTUVWXYZ';
const LETTER_VALUES = [1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 7, 9, 2, 3, 4, 5, 6, 7, 8, 9] as const;

// 49 CFR 565.15 table II: the weight of each position; position 9 (the check digit itself) weighs 0.
const WEIGHTS = [8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2] as const;

/**
 * The check digit a VIN must carry at position 9: the weighted sum of the transliterated characters, modulo
 * 11, written `X` when the remainder is 10. Whatever stands at position 9 is ignored (its weight is 0).
 *
 * @param vin - 17 upper-case characters of the VIN alphabet.
 * @returns `'0'` to `'9'` or `'X'`.
 * @throws RangeError when `vin` is not 17 characters of the VIN alphabet (no I, O, Q, no lower case).
 */
export function vinCheckDigit(vin: string): string {
  if (!VIN_SHAPE.test(vin)) {
    throw new RangeError('a VIN is 17 characters: digits and capital letters except I, O and Q');
  }
  let sum = 0;
  for (let position = 0; position < 17; position += 1) {
    const character = vin.charAt(position);
    sum += valueOf(character) * (WEIGHTS[position] ?? 0);
  }
  const remainder = sum % 11;
  return remainder === 10 ? 'X' : String(remainder);
}

/**
 * Whether `vin` is a VIN this product accepts: 17 upper-case characters without I, O and Q, with the correct
 * check digit at position 9. Never throws.
 */
export function isValidVin(vin: string): boolean {
  return VIN_SHAPE.test(vin) && vin.charAt(8) === vinCheckDigit(vin);
}

function valueOf(character: string): number {
  const letter = LETTERS.indexOf(character);
  return letter === -1 ? Number(character) : (LETTER_VALUES[letter] ?? 0);
}
