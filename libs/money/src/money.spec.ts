import { MoneyError } from './errors';
import {
  compareAmounts,
  formatAmount,
  isAmount,
  multiplyAmount,
  normalizeAmount,
  parseAmount,
  placesOf,
  sumAmounts,
} from './money';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    if (e instanceof MoneyError) return e.code;
    throw e;
  }
  return undefined;
}

describe('parseAmount', () => {
  it.each([
    ['12.34', 2, 1234n],
    ['12.3', 2, 1230n],
    ['12', 2, 1200n],
    ['0', 2, 0n],
    ['0.01', 2, 1n],
    ['007.50', 2, 750n],
    ['1200', 0, 1200n],
    ['1.250', 3, 1250n],
    ['1.2', 3, 1200n],
    ['9999999999999.99', 2, 999999999999999n],
  ])('reads %s with %d places as %s minor units', (text, places, minor) => {
    expect(parseAmount(text, places)).toBe(minor);
  });

  it('takes a currency row for its places', () => {
    expect(parseAmount('1.5', { decimalPlaces: 3 })).toBe(1500n);
  });

  it.each(['', ' 1', '1 ', '+1', '1e3', '1E3', '.5', '5.', '1,50', '0x10', 'NaN', 'Infinity', '--1', '1.2.3', '١٢'])('refuses %p as amount.invalid', (text) => {
    expect(codeOf(() => parseAmount(text, 2))).toBe('amount.invalid');
  });

  it('refuses non-strings (numbers included)', () => {
    expect(codeOf(() => parseAmount(12.34, 2))).toBe('amount.invalid');
    expect(codeOf(() => parseAmount(null, 2))).toBe('amount.invalid');
    expect(codeOf(() => parseAmount(12n, 2))).toBe('amount.invalid');
  });

  it('refuses more places than the currency has, even trailing zeros, unless lenient', () => {
    expect(codeOf(() => parseAmount('12.345', 2))).toBe('amount.too_many_places');
    expect(codeOf(() => parseAmount('12.340', 2))).toBe('amount.too_many_places');
    expect(codeOf(() => parseAmount('1.5', 0))).toBe('amount.too_many_places');
    expect(parseAmount('1200.0000', 0, { lenientPlaces: true })).toBe(1200n);
    expect(codeOf(() => parseAmount('1200.0001', 0, { lenientPlaces: true }))).toBe('amount.too_many_places');
  });

  it('limits integer digits (13 by default, leading zeros not counted)', () => {
    expect(parseAmount('9999999999999', 2)).toBe(999999999999900n);
    expect(codeOf(() => parseAmount('10000000000000', 2))).toBe('amount.too_large');
    expect(parseAmount('00000000000001', 2)).toBe(100n);
    expect(codeOf(() => parseAmount('1000', 2, { maxIntegerDigits: 3 }))).toBe('amount.too_large');
    expect(parseAmount('12345678901234567', 0, { maxIntegerDigits: 17 })).toBe(12345678901234567n);
  });

  it('applies the sign rule', () => {
    expect(codeOf(() => parseAmount('-1.00', 2))).toBe('amount.negative');
    expect(codeOf(() => parseAmount('-0', 2))).toBe('amount.negative');
    expect(codeOf(() => parseAmount('0.00', 2, { sign: 'positive' }))).toBe('amount.not_positive');
    expect(codeOf(() => parseAmount('-5', 2, { sign: 'positive' }))).toBe('amount.negative');
    expect(parseAmount('-1.05', 2, { sign: 'any' })).toBe(-105n);
    expect(parseAmount('-0', 2, { sign: 'any' })).toBe(0n);
  });

  it('refuses a currency with invalid places', () => {
    expect(codeOf(() => parseAmount('1', -1))).toBe('currency.invalid_places');
    expect(codeOf(() => parseAmount('1', 1.5))).toBe('currency.invalid_places');
    expect(codeOf(() => placesOf(11))).toBe('currency.invalid_places');
  });

  it('gives a readable message', () => {
    expect(() => parseAmount('12.345', 2)).toThrow('"12.345" has 3 decimal places; this currency has 2.');
    expect(() => parseAmount('1.5', 0)).toThrow('this currency has none');
  });

  it('isAmount answers without throwing', () => {
    expect(isAmount('1.25', 2)).toBe(true);
    expect(isAmount('1.255', 2)).toBe(false);
  });
});

describe('formatAmount', () => {
  it.each([
    [1250n, 2, '12.50'],
    [5n, 2, '0.05'],
    [-5n, 2, '-0.05'],
    [0n, 2, '0.00'],
    [1200n, 0, '1200'],
    [0n, 0, '0'],
    [1250n, 3, '1.250'],
    [-1n, 3, '-0.001'],
    [999999999999999n, 2, '9999999999999.99'],
  ])('writes %s minor units with %d places as %s', (minor, places, text) => {
    expect(formatAmount(minor, places)).toBe(text);
  });

  it('round-trips with parseAmount', () => {
    for (const places of [0, 2, 3]) {
      for (const minor of [0n, 1n, 9n, 10n, 99n, 100n, 101n, 123456789n, -1n, -1000n]) {
        expect(parseAmount(formatAmount(minor, places), places, { sign: 'any' })).toBe(minor);
      }
    }
  });

  it('refuses a number', () => {
    expect(() => formatAmount(12 as unknown as bigint, 2)).toThrow(TypeError);
  });
});

describe('helpers', () => {
  it('normalizes', () => {
    expect(normalizeAmount('12.5', 2)).toBe('12.50');
    expect(normalizeAmount('0012', 3)).toBe('12.000');
  });

  it('sums and compares', () => {
    expect(sumAmounts([1n, 2n, -3n, 10n])).toBe(10n);
    expect([3n, -1n, 2n].sort(compareAmounts)).toEqual([-1n, 2n, 3n]);
  });

  it('multiplies by a decimal factor, half-even by default', () => {
    expect(multiplyAmount(1234n, '0.15')).toBe(185n); // 185.1
    expect(multiplyAmount(1250n, '0.01')).toBe(12n); // 12.5 → even
    expect(multiplyAmount(1350n, '0.01')).toBe(14n); // 13.5 → even
    expect(multiplyAmount(1250n, '0.01', 'half-up')).toBe(13n);
    expect(multiplyAmount(-1250n, '0.01')).toBe(-12n);
    expect(multiplyAmount(999999999999999n, '1.0000000001')).toBe(1000000000099999n); // 1000000000099999.9999999999 → up
    expect(() => multiplyAmount(1n, '1e2')).toThrow(MoneyError);
  });
});
