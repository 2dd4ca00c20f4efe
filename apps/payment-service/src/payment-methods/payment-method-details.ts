import type { PaymentMethodType } from './payment-method.entity';
import { PaymentMethodErrors } from './payment-method.exceptions';

/** What one detail field accepts: a string (trimmed, then checked) or an integer. */
type FieldRule =
  | { kind: 'string'; max: number; pattern?: RegExp; message?: string; normalize?: (s: string) => string; check?: (s: string) => boolean }
  | { kind: 'int'; min: number; max: number };

interface TypeRule {
  fields: Record<string, FieldRule>;
  /** At least one of these must be present (when given). */
  oneOf?: string[];
  /** All of these must be present. */
  required?: string[];
}

const text = (max: number): FieldRule => ({ kind: 'string', max });
const compact = (s: string) => s.replace(/[\s-]/g, '');
const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,255}\.[^\s@]{2,63}$/;
const HANDLE = /^@?[A-Za-z0-9_.-]{1,64}$/;
const email: FieldRule = { kind: 'string', max: 254, pattern: EMAIL, message: 'must be an email address' };
const handle: FieldRule = { kind: 'string', max: 65, pattern: HANDLE, message: 'must be a handle such as @alice (letters, digits, _ . -)' };

/** ISO 13616: letters and digits, country code, check digits, then mod 97 of the rearranged number is 1. */
export function isIban(value: string): boolean {
  const iban = compact(value).toUpperCase();
  if (!/^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$/.test(iban)) return false;
  const digits = (iban.slice(4) + iban.slice(0, 4)).replace(/[A-Z]/g, (c) => String(c.charCodeAt(0) - 55));
  let rest = 0;
  for (const d of digits) rest = (rest * 10 + Number(d)) % 97;
  return rest === 1;
}

export const CARD_BRANDS = ['visa', 'mastercard', 'amex', 'discover', 'diners', 'jcb', 'unionpay', 'maestro', 'other'] as const;

/** Per type, the detail fields it accepts (snake_case); anything else is refused, so nothing unexpected is stored. */
const RULES: Record<PaymentMethodType, TypeRule> = {
  bank: {
    fields: {
      iban: { kind: 'string', max: 42, normalize: (s) => compact(s).toUpperCase(), check: isIban, message: 'must be a valid IBAN' },
      account_number: { kind: 'string', max: 34, normalize: compact, pattern: /^[A-Za-z0-9]{4,34}$/, message: 'must be 4 to 34 letters or digits' },
      routing_number: { kind: 'string', max: 20, normalize: compact, pattern: /^\d{6,12}$/, message: 'must be 6 to 12 digits' },
      sort_code: { kind: 'string', max: 10, normalize: compact, pattern: /^\d{6}$/, message: 'must be 6 digits' },
      bic: { kind: 'string', max: 11, normalize: (s) => compact(s).toUpperCase(), pattern: /^[A-Z]{6}[A-Z0-9]{2}([A-Z0-9]{3})?$/, message: 'must be a BIC/SWIFT code' },
      bank_name: text(100),
      account_holder_name: text(150),
      country: { kind: 'string', max: 2, normalize: (s) => s.toUpperCase(), pattern: /^[A-Z]{2}$/, message: 'must be an ISO 3166 country code' },
      currency: { kind: 'string', max: 3, normalize: (s) => s.toUpperCase(), pattern: /^[A-Z]{3}$/, message: 'must be an ISO 4217 code' },
    },
    oneOf: ['iban', 'account_number'],
  },
  card: {
    fields: {
      brand: { kind: 'string', max: 20, normalize: (s) => s.toLowerCase(), check: (s) => (CARD_BRANDS as readonly string[]).includes(s), message: `must be one of ${CARD_BRANDS.join(', ')}` },
      last4: { kind: 'string', max: 4, pattern: /^\d{4}$/, message: 'must be the last 4 digits' },
      exp_month: { kind: 'int', min: 1, max: 12 },
      exp_year: { kind: 'int', min: 2000, max: 2100 },
      holder_name: text(150),
    },
    required: ['brand', 'last4', 'exp_month', 'exp_year'],
  },
  paypal: { fields: { email, handle }, oneOf: ['email', 'handle'] },
  venmo: { fields: { email, handle }, oneOf: ['email', 'handle'] },
  // `payment_method_id`/`customer_id`: what Stripe.js (or a SetupIntent) gave the client for this card;
  // the card itself never reaches Tally. Verified only when Stripe accepts a payment with it.
  stripe: {
    fields: {
      email,
      brand: text(20),
      last4: { kind: 'string', max: 4, pattern: /^\d{4}$/, message: 'must be the last 4 digits' },
      payment_method_id: { kind: 'string', max: 255, pattern: /^pm_[A-Za-z0-9_]{1,250}$/, message: 'must be a Stripe PaymentMethod id (pm_...)' },
      customer_id: { kind: 'string', max: 255, pattern: /^cus_[A-Za-z0-9_]{1,250}$/, message: 'must be a Stripe Customer id (cus_...)' },
    },
  },
  cash: { fields: {} },
  other: { fields: { description: text(200) } },
};

/** Keys that name a full card number, refused whatever the type. */
const CARD_NUMBER_KEYS = new Set(['cardnumber', 'pan', 'number', 'cc', 'ccnumber', 'cvv', 'cvc', 'securitycode']);
/** 13 to 19 digits, possibly grouped by spaces or dashes: a primary account number. */
const PAN = /^\d{13,19}$/;

function looksLikePan(value: unknown): boolean {
  if (typeof value === 'number') return PAN.test(String(value));
  return typeof value === 'string' && /^[\d\s-]+$/.test(value) && PAN.test(compact(value));
}

/**
 * The details of a new payment method, checked for its type and normalized (IBANs compact and upper
 * case, card brands lower case). A full card number is refused with 400 CARD_NUMBER_REFUSED: on a
 * card, any value of 13 to 19 digits; on any type, a field named like one (card_number, pan, cvv).
 * Unknown fields, wrong types and bad formats are 400 INVALID_PAYMENT_DETAILS naming each field.
 */
export function readPaymentDetails(type: PaymentMethodType, input: unknown, now = new Date()): Record<string, string | number> {
  const details = input ?? {};
  if (typeof details !== 'object' || Array.isArray(details)) throw PaymentMethodErrors.invalidDetails([{ field: 'details', message: 'must be an object' }]);
  const entries = Object.entries(details as Record<string, unknown>);
  for (const [key, value] of entries) {
    const k = key.toLowerCase().replace(/[\s_-]/g, '');
    if (CARD_NUMBER_KEYS.has(k) || (type === 'card' && looksLikePan(value))) throw PaymentMethodErrors.cardNumberRefused(`details.${key}`);
  }
  const rule = RULES[type];
  const errors: { field: string; message: string }[] = [];
  const out: Record<string, string | number> = {};
  for (const [key, value] of entries) {
    const field = rule.fields[key];
    const name = `details.${key}`;
    if (!field) {
      errors.push({ field: name, message: `is not a ${type} detail (accepted: ${Object.keys(rule.fields).join(', ') || 'none'})` });
      continue;
    }
    if (value === undefined || value === null) continue;
    if (field.kind === 'int') {
      if (typeof value !== 'number' || !Number.isInteger(value) || value < field.min || value > field.max) errors.push({ field: name, message: `must be an integer from ${field.min} to ${field.max}` });
      else out[key] = value;
      continue;
    }
    if (typeof value !== 'string') {
      errors.push({ field: name, message: 'must be a string' });
      continue;
    }
    const trimmed = value.trim();
    const v = field.normalize ? field.normalize(trimmed) : trimmed;
    if (!v.length || v.length > field.max) errors.push({ field: name, message: `must be 1 to ${field.max} characters` });
    else if ((field.pattern && !field.pattern.test(v)) || (field.check && !field.check(v))) errors.push({ field: name, message: field.message ?? 'is not valid' });
    else out[key] = v;
  }
  for (const key of rule.required ?? []) if (out[key] === undefined && !errors.some((e) => e.field === `details.${key}`)) errors.push({ field: `details.${key}`, message: 'is required' });
  if (rule.oneOf && !rule.oneOf.some((k) => out[k] !== undefined) && !errors.length) {
    errors.push({ field: 'details', message: `needs ${rule.oneOf.join(' or ')}` });
  }
  if (type === 'card' && typeof out.exp_year === 'number' && typeof out.exp_month === 'number') {
    const y = now.getUTCFullYear();
    const m = now.getUTCMonth() + 1;
    if (out.exp_year < y || (out.exp_year === y && out.exp_month < m)) errors.push({ field: 'details.exp_year', message: 'the card has expired' });
  }
  if (errors.length) throw PaymentMethodErrors.invalidDetails(errors);
  return out;
}
