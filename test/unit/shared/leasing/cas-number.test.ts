import { isValidCasNumber } from '../../../../shared/leasing/cas-number';

describe('#isValidCasNumber', () => {
  test.each([
    ['water', '7732-18-5'],
    ['formaldehyde', '50-00-0'],
    ['lead', '7439-92-1'],
    ['cobalt', '7440-48-4'],
    ['hydrogen', '1333-74-0'],
    ['a seven-digit first part', '1234567-89-5'],
  ])('accepts %s (%s)', (_case, text) => {
    expect(isValidCasNumber(text)).toBe(true);
  });

  test.each([
    ['a wrong check digit', '7732-18-4'],
    ['swapped digits', '7723-18-5'],
    ['a one-digit first part', '5-00-0'],
    ['an eight-digit first part', '12345678-90-1'],
    ['a one-digit middle part', '7732-1-5'],
    ['no hyphens', '7732185'],
    ['spaces around it', ' 7732-18-5 '],
    ['letters', '77A2-18-5'],
    ['the empty string', ''],
  ])('refuses %s (%j)', (_case, text) => {
    expect(isValidCasNumber(text)).toBe(false);
  });
});
