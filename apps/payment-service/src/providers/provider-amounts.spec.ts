import { ProviderAmountError } from './payment-provider';
import { fromStripeAmount, minorUnits, stripeExponent, toStripeAmount } from './provider-amounts';

describe("Stripe's minor units", () => {
  it('two-decimal currencies in cents: 12.50 EUR → 1250 and back', () => {
    expect(toStripeAmount(minorUnits('12.50', 'EUR'), 'EUR')).toBe(1250);
    expect(fromStripeAmount(1250, 'EUR')).toBe('12.50');
    expect(toStripeAmount(minorUnits('0.01', 'USD'), 'USD')).toBe(1);
  });

  it('zero-decimal currencies in whole units: 1200 JPY → 1200, 5000 KRW → 5000', () => {
    expect(toStripeAmount(minorUnits('1200', 'JPY'), 'JPY')).toBe(1200);
    expect(fromStripeAmount(1200, 'JPY')).toBe('1200');
    expect(toStripeAmount(minorUnits('5000', 'KRW'), 'KRW')).toBe(5000);
  });

  it('reads NUMERIC(16,3) as stored: 1200.000 JPY and 12.500 EUR', () => {
    expect(minorUnits('1200.000', 'JPY')).toBe(1200n);
    expect(minorUnits('12.500', 'EUR')).toBe(1250n);
    expect(() => minorUnits('12.505', 'EUR')).toThrow();
  });

  it('three-decimal currencies in thousandths with a last digit of 0; another last digit is refused, never rounded', () => {
    expect(toStripeAmount(minorUnits('5.120', 'KWD'), 'KWD')).toBe(5120);
    expect(fromStripeAmount(5120, 'KWD')).toBe('5.120');
    expect(() => toStripeAmount(minorUnits('5.124', 'KWD'), 'KWD')).toThrow(ProviderAmountError);
    expect(() => toStripeAmount(minorUnits('1.001', 'BHD'), 'BHD')).toThrow(/last digit must be 0/);
  });

  it('ISK: zero-decimal in ISO 4217 but two-decimal at Stripe (5 ISK → 500)', () => {
    expect(stripeExponent('ISK')).toBe(2);
    expect(toStripeAmount(minorUnits('5', 'ISK'), 'ISK')).toBe(500);
    expect(fromStripeAmount(500, 'ISK')).toBe('5');
    expect(fromStripeAmount(1050, 'ISK')).toBe('10.50');
  });

  it('refuses unknown currencies, zero, negatives and amounts a JS number cannot carry', () => {
    expect(() => toStripeAmount(100n, 'XXX')).toThrow(ProviderAmountError);
    expect(() => toStripeAmount(0n, 'EUR')).toThrow(ProviderAmountError);
    expect(() => toStripeAmount(10n ** 16n, 'EUR')).toThrow(ProviderAmountError);
    expect(() => fromStripeAmount(-1, 'EUR')).toThrow(ProviderAmountError);
    expect(() => fromStripeAmount(1.5, 'EUR')).toThrow(ProviderAmountError);
  });
});
