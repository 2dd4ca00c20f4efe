import Decimal from 'decimal.js';
import { MoneyError } from './errors';

/**
 * decimal.js with enough precision for every computation here: amounts have at most ~20
 * significant digits and NUMERIC(20,10) rates 20, so a product has at most ~40 and every
 * intermediate result is exact or (for a quotient) correct far past the rounding position.
 * Exponent notation is never produced for the magnitudes we handle.
 */
export const D = Decimal.clone({ precision: 100, rounding: Decimal.ROUND_HALF_EVEN, toExpNeg: -200, toExpPos: 200 });
export type D = Decimal;

/** How a value is rounded to a whole number of minor units. */
export type Rounding = 'half-even' | 'half-up' | 'half-down' | 'down' | 'up' | 'floor' | 'ceil';

const modes: Record<Rounding, Decimal.Rounding> = {
  'half-even': Decimal.ROUND_HALF_EVEN,
  'half-up': Decimal.ROUND_HALF_UP,
  'half-down': Decimal.ROUND_HALF_DOWN,
  down: Decimal.ROUND_DOWN,
  up: Decimal.ROUND_UP,
  floor: Decimal.ROUND_FLOOR,
  ceil: Decimal.ROUND_CEIL,
};

export function roundingMode(r: Rounding): Decimal.Rounding {
  const m = modes[r];
  if (m === undefined) throw new TypeError(`unknown rounding ${String(r)}`);
  return m;
}

/** A decimal rounded to a whole number, as a bigint. */
export function toBigInt(d: Decimal, rounding: Rounding): bigint {
  return BigInt(d.toDecimalPlaces(0, roundingMode(rounding)).toFixed(0));
}

const PLAIN = /^-?\d+(?:\.\d+)?$/;

/** Reads a plain decimal string (digits, optional fraction, optional "-"; no exponent) as a decimal. */
export function parseDecimal(text: unknown, what = 'value'): Decimal {
  if (typeof text !== 'string' || text.length > 80 || !PLAIN.test(text)) {
    const shown = String(text).slice(0, 40);
    throw new MoneyError('amount.invalid', `The ${what} must be a plain decimal string such as "1.25", not "${shown}".`, { value: shown });
  }
  return new D(text);
}
