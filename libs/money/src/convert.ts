import { D, parseDecimal, type Rounding, roundingMode, toBigInt } from './decimal';
import { MoneyError } from './errors';
import { placesOf } from './money';

/**
 * Currency conversion through US dollars.
 *
 * Direction: a currency's `rateToUsd` is how many US dollars ONE unit of it is worth (the
 * `exchange_rate_to_usd` / `rate_to_usd` NUMERIC(20,10) columns: USD "1", EUR "1.0850000000",
 * JPY "0.0066666667"). So amount_in_usd = amount × rateToUsd, and converting from X to Y is
 *   amount_Y = amount_X × rateToUsd(X) / rateToUsd(Y),
 * computed exactly (decimal.js, 100 significant digits — past any tie the inputs can produce) and
 * rounded ONCE to Y's decimal places, half-even ("banker's rounding": a value exactly halfway
 * between two minor units goes to the even one — 0.125 → 0.12, 0.135 → 0.14 — so rounding errors
 * do not drift one way over many conversions). The result carries both rates used, so a stored
 * conversion can always be replayed and history never changes when rates do.
 */

export interface RatedCurrency {
  /** ISO 4217 code. */
  readonly code: string;
  readonly decimalPlaces: number;
  /** US dollars per one unit of this currency, a positive decimal string of NUMERIC(20,10). */
  readonly rateToUsd: string;
}

export interface Conversion {
  /** The converted amount in the target currency's minor units. */
  readonly amount: bigint;
  readonly from: string;
  readonly to: string;
  /** The rates used, normalized to 10 decimal places, as they would be stored. */
  readonly fromRateToUsd: string;
  readonly toRateToUsd: string;
  /** Units of `to` per unit of `from` (fromRateToUsd / toRateToUsd), half-even to 10 places; for display. */
  readonly rate: string;
}

const RATE_INTEGER_DIGITS = 10;
const RATE_PLACES = 10;

/** Checks a NUMERIC(20,10) rate (> 0, ≤ 10 integer digits, ≤ 10 places) and writes it with 10 places. */
export function normalizeRate(text: unknown): string {
  let d: InstanceType<typeof D>;
  try {
    d = parseDecimal(text, 'rate');
  } catch {
    throw new MoneyError('rate.invalid', `A rate is a plain decimal string such as "1.0850000000", not "${String(text).slice(0, 40)}".`);
  }
  const [intPart, frac = ''] = (text as string).replace(/^-/, '').split('.');
  if (d.lte(0) || intPart.replace(/^0+/, '').length > RATE_INTEGER_DIGITS || frac.replace(/0+$/, '').length > RATE_PLACES) {
    throw new MoneyError('rate.invalid', `A rate must be greater than zero with at most ${RATE_INTEGER_DIGITS} digits before and ${RATE_PLACES} after the point.`, {
      value: String(text).slice(0, 40),
    });
  }
  return d.toFixed(RATE_PLACES);
}

/**
 * Converts `amount` (minor units of `from`) into minor units of `to`; see the rule above.
 * `rounding` is half-even unless the caller needs another rule.
 */
export function convert(amount: bigint, from: RatedCurrency, to: RatedCurrency, rounding: Rounding = 'half-even'): Conversion {
  if (typeof amount !== 'bigint') throw new TypeError('convert takes minor units as a bigint');
  const pf = placesOf(from);
  const pt = placesOf(to);
  const rf = normalizeRate(from.rateToUsd);
  const rt = normalizeRate(to.rateToUsd);
  const exact = new D(amount.toString())
    .times(rf)
    .times(new D(10).pow(pt))
    .div(new D(10).pow(pf).times(rt));
  return {
    amount: toBigInt(exact, rounding),
    from: from.code,
    to: to.code,
    fromRateToUsd: rf,
    toRateToUsd: rt,
    rate: new D(rf).div(rt).toDecimalPlaces(RATE_PLACES, roundingMode('half-even')).toFixed(RATE_PLACES),
  };
}

/** US dollars, 2 places, rate 1. */
export const USD: RatedCurrency = { code: 'USD', decimalPlaces: 2, rateToUsd: '1' };

/** `amount` (minor units of `from`) in US cents: amount × rateToUsd, half-even. */
export function toUsd(amount: bigint, from: RatedCurrency): Conversion {
  return convert(amount, from, USD);
}
