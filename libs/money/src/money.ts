import { D, parseDecimal, type Rounding, toBigInt } from './decimal';
import { MoneyError } from './errors';

/**
 * Amounts in Tally are exact: decimal strings on the wire ("12.34"), NUMERIC in PostgreSQL and
 * whole numbers of the currency's minor unit (a `bigint`) in code — never a JS number.
 * A currency's decimal places govern its amounts: JPY 0 ("1200"), USD 2 ("12.50"), BHD 3 ("1.250").
 */

/** A currency's number of decimal places, or anything that carries it (a currency row). */
export type Places = number | { readonly decimalPlaces: number };

/** Integer digits an amount may have by default (NUMERIC(15,2)-like columns: 13 before the point). */
export const DEFAULT_MAX_INTEGER_DIGITS = 13;
/** Decimal places a currency may have (ISO 4217 uses 0–4; NUMERIC(20,10) rates go to 10). */
export const MAX_DECIMAL_PLACES = 10;

export type SignRule = 'positive' | 'non-negative' | 'any';

export interface ParseAmountOptions {
  /** Which signs are allowed: 'positive' (> 0), 'non-negative' (≥ 0, the default) or 'any'. */
  sign?: SignRule;
  /** At most this many digits before the point, leading zeros not counted (default 13). */
  maxIntegerDigits?: number;
  /**
   * Accept more decimal places than the currency has when the extra digits are all zeros — for
   * values read back from a NUMERIC column with a larger scale ("1200.00" for JPY). Off by
   * default: a request that sends "12.340" for USD is refused.
   */
  lenientPlaces?: boolean;
}

const AMOUNT = /^(-?)(\d+)(?:\.(\d+))?$/;
const MAX_TEXT = 80;

/** The number of decimal places, checked (an integer 0–10). */
export function placesOf(places: Places): number {
  const p = typeof places === 'number' ? places : places?.decimalPlaces;
  if (typeof p !== 'number' || !Number.isInteger(p) || p < 0 || p > MAX_DECIMAL_PLACES) {
    throw new MoneyError('currency.invalid_places', `A currency has 0 to ${MAX_DECIMAL_PLACES} decimal places, not ${String(p)}.`);
  }
  return p;
}

/** 10^places as a bigint: the number of minor units in one major unit. */
export function minorPerMajor(places: Places): bigint {
  return 10n ** BigInt(placesOf(places));
}

/**
 * Reads a decimal string as a whole number of minor units. Refused (a `MoneyError`): anything but
 * a string of digits with an optional fraction — no exponent ("1e3"), no "+", no spaces, no ".5"
 * or "5." —, more decimal places than the currency has (`amount.too_many_places`), more than
 * `maxIntegerDigits` integer digits (`amount.too_large`), a "-" where the sign rule forbids it
 * (`amount.negative`, also for "-0"), zero where it must be positive (`amount.not_positive`).
 */
export function parseAmount(text: unknown, places: Places, options: ParseAmountOptions = {}): bigint {
  const p = placesOf(places);
  const sign = options.sign ?? 'non-negative';
  const maxInt = options.maxIntegerDigits ?? DEFAULT_MAX_INTEGER_DIGITS;
  if (typeof text !== 'string') {
    throw new MoneyError('amount.invalid', `An amount is a decimal string such as "12.34", not ${text === null ? 'null' : typeof text}.`);
  }
  const m = text.length <= MAX_TEXT ? AMOUNT.exec(text) : null;
  if (!m) {
    throw new MoneyError('amount.invalid', `"${shorten(text)}" is not an amount: write digits with an optional decimal point, such as "12.34".`, { value: shorten(text) });
  }
  const [, minus, intPart, frac = ''] = m;
  let fraction = frac;
  if (fraction.length > p) {
    const extra = fraction.slice(p);
    if (!options.lenientPlaces || /[^0]/.test(extra)) {
      throw new MoneyError(
        'amount.too_many_places',
        p === 0 ? `"${text}" has decimals; this currency has none.` : `"${text}" has ${fraction.length} decimal places; this currency has ${p}.`,
        { value: text, decimalPlaces: String(p) },
      );
    }
    fraction = fraction.slice(0, p);
  }
  const intDigits = intPart.replace(/^0+/, '');
  if (intDigits.length > maxInt) {
    throw new MoneyError('amount.too_large', `"${text}" is too large: at most ${maxInt} digits before the decimal point.`, {
      value: text,
      maxIntegerDigits: String(maxInt),
    });
  }
  if (minus && sign !== 'any') {
    throw new MoneyError('amount.negative', `"${text}" is negative; the amount must be ${sign === 'positive' ? 'greater than zero' : 'zero or more'}.`, { value: text });
  }
  const magnitude = BigInt((intDigits || '0') + fraction.padEnd(p, '0'));
  if (sign === 'positive' && magnitude === 0n) {
    throw new MoneyError('amount.not_positive', `"${text}" is zero; the amount must be greater than zero.`, { value: text });
  }
  return minus ? -magnitude : magnitude;
}

/** True when `parseAmount` would accept the text. */
export function isAmount(text: unknown, places: Places, options: ParseAmountOptions = {}): boolean {
  try {
    parseAmount(text, places, options);
    return true;
  } catch (e) {
    if (e instanceof MoneyError && e.code !== 'currency.invalid_places') return false;
    throw e;
  }
}

/** Minor units as a decimal string with exactly the currency's places: "12.50", "-0.05", JPY "1200", BHD "1.250". */
export function formatAmount(minor: bigint, places: Places): string {
  const p = placesOf(places);
  if (typeof minor !== 'bigint') throw new TypeError('formatAmount takes minor units as a bigint');
  const negative = minor < 0n;
  const digits = (negative ? -minor : minor).toString().padStart(p + 1, '0');
  const body = p === 0 ? digits : `${digits.slice(0, -p)}.${digits.slice(-p)}`;
  return negative ? `-${body}` : body;
}

/** Re-writes an amount with exactly the currency's places ("12.5" → "12.50"), refusing what `parseAmount` refuses. */
export function normalizeAmount(text: string, places: Places, options: ParseAmountOptions = {}): string {
  return formatAmount(parseAmount(text, places, options), places);
}

/** The sum of amounts in minor units. */
export function sumAmounts(values: Iterable<bigint>): bigint {
  let s = 0n;
  for (const v of values) s += v;
  return s;
}

/** -1, 0 or 1, for sorting amounts. */
export function compareAmounts(a: bigint, b: bigint): -1 | 0 | 1 {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function absAmount(a: bigint): bigint {
  return a < 0n ? -a : a;
}

export function minAmount(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}

export function maxAmount(a: bigint, b: bigint): bigint {
  return a > b ? a : b;
}

/**
 * `minor × factor`, rounded to whole minor units (half-even, banker's, by default): e.g. a 15 %
 * tip on 12.34 is `multiplyAmount(1234n, "0.15")` = 185n (185.1 → 185). Exact: the product is
 * computed with decimal.js at 100 significant digits and rounded once.
 */
export function multiplyAmount(minor: bigint, factor: string, rounding: Rounding = 'half-even'): bigint {
  return toBigInt(new D(minor.toString()).times(parseDecimal(factor, 'factor')), rounding);
}

function shorten(s: string): string {
  return s.length > 40 ? `${s.slice(0, 40)}…` : s;
}
