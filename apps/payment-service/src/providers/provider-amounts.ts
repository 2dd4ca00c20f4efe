import { currencyDecimals } from '@tally/contracts';
import { formatAmount, parseAmount } from '@tally/money';
import { ProviderAmountError } from './payment-provider';

/**
 * Stripe's minor units, which are not always ISO 4217's (https://docs.stripe.com/currencies):
 * - two-decimal currencies (EUR, USD): cents, `12.50 EUR` → 1250;
 * - zero-decimal currencies (JPY, KRW, CLP...): whole units, `1200 JPY` → 1200 — ISO's 0 digits agree;
 * - three-decimal currencies (BHD, JOD, KWD, OMR, TND): thousandths, but Stripe's partners need the last
 *   digit to be 0, so `5.120 KWD` → 5120 is accepted and `5.124 KWD` is refused (422) rather than rounded:
 *   Tally never charges a different amount than the settlement says;
 * - ISK: zero-decimal in ISO 4217, but Stripe kept it two-decimal for backwards compatibility (`5 ISK` → 500,
 *   always a multiple of 100).
 */
const STRIPE_EXPONENT_OVERRIDES: Readonly<Record<string, number>> = { ISK: 2 };

/** The number of decimal places of a currency in Stripe's API. */
export function stripeExponent(currency: string): number {
  const iso = currencyDecimals(currency);
  if (iso === undefined) throw new ProviderAmountError(`${currency} is not a currency Tally knows.`);
  return STRIPE_EXPONENT_OVERRIDES[currency] ?? iso;
}

/**
 * An amount in the currency's own minor units (bigint, ISO 4217 places) as Stripe's `amount` integer.
 * Refuses what Stripe cannot take exactly (a 3-decimal amount whose last digit is not 0) or a JS number
 * could not carry exactly.
 */
export function toStripeAmount(minor: bigint, currency: string): number {
  const iso = currencyDecimals(currency);
  if (iso === undefined) throw new ProviderAmountError(`${currency} is not a currency Tally knows.`);
  if (minor <= 0n) throw new ProviderAmountError('A payment amount must be greater than zero.');
  if (iso === 3 && minor % 10n !== 0n) {
    throw new ProviderAmountError(
      `${formatAmount(minor, 3)} ${currency} cannot be charged through Stripe: for three-decimal currencies its last digit must be 0 (e.g. ${formatAmount((minor / 10n) * 10n, 3)}).`,
    );
  }
  const exponent = stripeExponent(currency);
  const scaled = minor * 10n ** BigInt(exponent - iso);
  if (scaled > BigInt(Number.MAX_SAFE_INTEGER)) throw new ProviderAmountError(`The amount is too large for the provider.`);
  return Number(scaled);
}

/** Stripe's `amount` integer (minor units by Stripe's rules) as a decimal string with the currency's ISO places. */
export function fromStripeAmount(amount: number, currency: string): string {
  const iso = currencyDecimals(currency);
  if (iso === undefined) throw new ProviderAmountError(`${currency} is not a currency Tally knows.`);
  if (!Number.isSafeInteger(amount) || amount < 0) throw new ProviderAmountError(`${String(amount)} is not an amount in minor units.`);
  const exponent = stripeExponent(currency);
  const big = BigInt(amount);
  if (exponent >= iso) {
    const factor = 10n ** BigInt(exponent - iso);
    // ISK 1050 (10.50 kr.) cannot be shown in whole krónur: keep Stripe's places rather than lose the fraction.
    if (big % factor !== 0n) return formatAmount(big, exponent);
    return formatAmount(big / factor, iso);
  }
  return formatAmount(big * 10n ** BigInt(iso - exponent), iso);
}

/** A decimal string in the currency's places as its ISO minor units (bigint), positive. */
export function minorUnits(amount: string, currency: string): bigint {
  const iso = currencyDecimals(currency);
  if (iso === undefined) throw new ProviderAmountError(`${currency} is not a currency Tally knows.`);
  // NUMERIC(16,3) reads back with three places ("12.500" for EUR): lenient about trailing zeros only.
  return parseAmount(amount, iso, { sign: 'positive', lenientPlaces: true });
}
