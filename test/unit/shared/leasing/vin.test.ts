import { isValidVin, vinCheckDigit } from '../../../../shared/leasing/vin';
import { thrown } from '../../../helpers/thrown';

describe('#vinCheckDigit', () => {
  test.each([
    ['1M8GDM9AXKP042788', 'X'],
    ['11111111111111111', '1'],
    ['1HGCM82633A004352', '3'],
    ['JH4KA7561PC008269', '1'],
  ])('computes the check digit of %s as %s', (vin, digit) => {
    expect(vinCheckDigit(vin)).toBe(digit);
  });

  test('ignores whatever stands at position 9, whose weight is 0', () => {
    expect(vinCheckDigit('1M8GDM9A0KP042788')).toBe('X');
    expect(vinCheckDigit('1M8GDM9A7KP042788')).toBe('X');
  });

  test('writes a remainder of 10 as X', () => {
    // 1M8GDM9A?KP042788 sums to 351, which is 10 modulo 11.
    expect(vinCheckDigit('1M8GDM9A1KP042788')).toBe('X');
  });

  test.each([
    ['16 characters', '1M8GDM9AXKP04278'],
    ['a lower-case letter', '1m8GDM9AXKP042788'],
    ['the letter O', '1M8GDM9AXKP0O2788'],
  ])('refuses to compute it for %s', (_case, vin) => {
    const error = thrown(() => vinCheckDigit(vin));
    expect(error).toBeInstanceOf(RangeError);
    expect(error).toHaveProperty('message', 'a VIN is 17 characters: digits and capital letters except I, O and Q');
  });
});

describe('#isValidVin', () => {
  test.each(['1M8GDM9AXKP042788', '11111111111111111', '1HGCM82633A004352', 'JH4KA7561PC008269'])(
    'accepts %s',
    (vin) => {
      expect(isValidVin(vin)).toBe(true);
    },
  );

  test.each([
    ['a wrong check digit', '1M8GDM9A1KP042788'],
    ['a check digit of 0 where X belongs', '1M8GDM9A0KP042788'],
    ['two swapped characters', '1M8GDM9AXKP047288'],
    ['a European VIN without a check digit', 'WP0ZZZ99ZTS392124'],
    ['the letter I', '1M8GDM9AXKP04I788'],
    ['the letter O', 'OM8GDM9AXKP042788'],
    ['the letter Q', '1M8GDM9AXKP04Q788'],
    ['lower case, which is not upper-cased for the caller', '1m8gdm9axkp042788'],
    ['16 characters', '1M8GDM9AXKP04278'],
    ['18 characters', '1M8GDM9AXKP0427888'],
    ['a space', '1M8GDM9AXKP 42788'],
    ['the empty string', ''],
  ])('refuses %s', (_case, vin) => {
    expect(isValidVin(vin)).toBe(false);
  });
});
