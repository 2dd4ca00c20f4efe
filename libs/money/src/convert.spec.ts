import { convert, normalizeRate, toUsd, USD } from './convert';
import { MoneyError } from './errors';

const EUR = { code: 'EUR', decimalPlaces: 2, rateToUsd: '1.0850000000' };
const JPY = { code: 'JPY', decimalPlaces: 0, rateToUsd: '0.0066666667' };
const BHD = { code: 'BHD', decimalPlaces: 3, rateToUsd: '2.6595744681' };

describe('convert', () => {
  it('amount_in_usd = amount × rateToUsd', () => {
    expect(toUsd(1000n, EUR)).toMatchObject({ amount: 1085n, from: 'EUR', to: 'USD', fromRateToUsd: '1.0850000000', toRateToUsd: '1.0000000000', rate: '1.0850000000' });
    expect(toUsd(15000n, JPY).amount).toBe(10000n); // 15000 × 0.0066666667 = 100.0000005 USD
  });

  it('X → Y = amount × rate(X) / rate(Y), rounded once to Y’s places', () => {
    // 10.00 EUR = 10.85 USD = 1627.4999918... JPY → 1627
    expect(convert(1000n, EUR, JPY)).toMatchObject({ amount: 1627n, rate: '162.7499991863' });
    // 1.000 BHD = 2.6595744681 USD = 2.45122 EUR → 2.45
    expect(convert(1000n, BHD, EUR).amount).toBe(245n);
    expect(convert(245n, EUR, BHD).amount).toBe(1000n); // 2.65825 USD / 2.6595744681 = 0.99951… BHD → 1.000
  });

  it('rounds half to even (banker’s rounding) by default', () => {
    const HALF = { code: 'XXX', decimalPlaces: 2, rateToUsd: '0.5' };
    expect(toUsd(1n, HALF).amount).toBe(0n); // 0.005 → 0.00
    expect(toUsd(3n, HALF).amount).toBe(2n); // 0.015 → 0.02
    expect(toUsd(5n, HALF).amount).toBe(2n); // 0.025 → 0.02
    expect(toUsd(-5n, HALF).amount).toBe(-2n);
    expect(convert(5n, HALF, USD, 'half-up').amount).toBe(3n);
  });

  it('is exact for a rate that does not terminate (no double rounding)', () => {
    const A = { code: 'AAA', decimalPlaces: 2, rateToUsd: '1' };
    const B = { code: 'BBB', decimalPlaces: 2, rateToUsd: '3' };
    expect(convert(100n, A, B).amount).toBe(33n); // 0.3333…
    expect(convert(200n, A, B).amount).toBe(67n); // 0.6666…
    expect(convert(150n, A, B).amount).toBe(50n);
  });

  it('keeps the same currency unchanged', () => {
    expect(convert(123456789n, EUR, EUR).amount).toBe(123456789n);
    expect(convert(123456789n, JPY, JPY).amount).toBe(123456789n);
  });

  it('refuses bad rates', () => {
    for (const rate of ['0', '-1', '1e2', '', '12345678901', '0.00000000001', 'abc']) {
      expect(() => convert(1n, { ...EUR, rateToUsd: rate }, USD)).toThrow(MoneyError);
    }
    expect(normalizeRate('1.5')).toBe('1.5000000000');
    expect(normalizeRate('0.1000000000000')).toBe('0.1000000000');
  });
});
