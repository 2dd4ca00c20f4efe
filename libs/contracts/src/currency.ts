import { createHash } from 'node:crypto';
import { CURRENCIES } from './currencies.data';

/** The namespace of currency ids (a fixed random UUID; never change it). */
const CURRENCY_NAMESPACE = '5b0f3c8e-2f7a-4d52-9a51-6c1e0f0b7d21';

/**
 * The id of a currency, from its ISO 4217 code: a UUID v5 (RFC 9562) of the code in Tally's
 * currency namespace. Every service derives the same id from the same code, so `groups.currency_id`
 * and expense-service's `currencies.id` agree without a call between them (docs/adr/0008).
 */
export function currencyId(code: string): string {
  if (!/^[A-Z]{3}$/.test(code)) throw new Error(`not an ISO 4217 code: ${code}`);
  const ns = Buffer.from(CURRENCY_NAMESPACE.replace(/-/g, ''), 'hex');
  const hash = createHash('sha1').update(ns).update(code, 'utf8').digest();
  const b = Buffer.from(hash.subarray(0, 16));
  b[6] = (b[6] & 0x0f) | 0x50;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

const known = new Map(CURRENCIES.map(([code, , , decimalPlaces]) => [code, decimalPlaces]));

/** An active ISO 4217 code: one of `CURRENCIES` (the list expense-service seeds its `currencies` with). */
export function isCurrencyCode(value: unknown): value is string {
  return typeof value === 'string' && known.has(value);
}

/** ISO 4217 minor-unit digits of a currency (JPY 0, USD 2, BHD 3); undefined for an unknown code. */
export function currencyDecimals(code: string): number | undefined {
  return known.get(code);
}
