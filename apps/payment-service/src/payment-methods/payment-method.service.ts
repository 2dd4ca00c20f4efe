import { Injectable } from '@nestjs/common';
import { MikroORM } from '@mikro-orm/postgresql';
import { freshEm } from '@tally/persistence';
import { Page } from '@tally/service-kit';
import { PaymentMethod } from './payment-method.entity';
import { PaymentMethodRepository } from './payment-method.repository';

export type MaskedDetails = Record<string, string | number | boolean>;

export interface PaymentMethodView {
  id: string;
  methodType: string;
  name: string;
  /** Only allow-listed fields of the stored details, with numbers and addresses masked. */
  details: MaskedDetails;
  isActive: boolean;
  isVerified: boolean;
  isDefault: boolean;
  createdAt: string;
  updatedAt: string;
}

/** show: as stored; last4: the value is already a last-4 field; number: `****1234`; email: `a***@example.com`. */
type DetailRule = 'show' | 'last4' | 'number' | 'email';

/**
 * What of a payment method's `details` a client may see, by key (compared lowercase without `_`, `-`, spaces).
 * Deny by default: any key not listed (cvv, pin, tokens, secrets, provider keys, anything new) is dropped, as are
 * nested objects and arrays. Showing a field is a deliberate change to this list.
 */
const DETAIL_RULES: Readonly<Record<string, DetailRule>> = {
  brand: 'show', network: 'show', funding: 'show', bankname: 'show', institution: 'show', accounttype: 'show',
  accountholdername: 'show', holdername: 'show', country: 'show', currency: 'show', expmonth: 'show', expyear: 'show',
  last4: 'last4',
  accountnumber: 'number', iban: 'number', cardnumber: 'number', number: 'number', pan: 'number',
  routingnumber: 'number', sortcode: 'number', bsb: 'number', phone: 'number', phonenumber: 'number',
  email: 'email', paypalemail: 'email', upiid: 'email', vpa: 'email',
};

const MASK = '****';

/** Last four characters only, and only when that still hides at least as much as it shows. */
export function maskNumber(value: string): string {
  const compact = value.replace(/[\s-]/g, '');
  return compact.length >= 8 ? `${MASK}${compact.slice(-4)}` : MASK;
}

/** First character of the local part and the domain: `alice@example.com` → `a***@example.com`. */
export function maskEmail(value: string): string {
  const at = value.lastIndexOf('@');
  return at < 1 ? MASK : `${value[0]}***${value.slice(at)}`;
}

export function maskPaymentDetails(details: unknown): MaskedDetails {
  const out: MaskedDetails = {};
  if (!details || typeof details !== 'object' || Array.isArray(details)) return out;
  for (const [key, value] of Object.entries(details as Record<string, unknown>)) {
    const rule = DETAIL_RULES[key.toLowerCase().replace(/[\s_-]/g, '')];
    if (!rule) continue;
    if (rule === 'show') {
      if (typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value))) out[key] = value;
      continue;
    }
    if (typeof value !== 'string' && !(typeof value === 'number' && Number.isFinite(value))) continue;
    const text = String(value);
    if (rule === 'last4') out[key] = text.replace(/[\s-]/g, '').slice(-4);
    else if (rule === 'number') out[key] = maskNumber(text);
    else out[key] = maskEmail(text);
  }
  return out;
}

/** The client's view: `externalId` and `metadata` are provider internals and never leave the service. */
export function toPaymentMethodView(pm: PaymentMethod): PaymentMethodView {
  return {
    id: pm.id, methodType: pm.methodType, name: pm.name, details: maskPaymentDetails(pm.details),
    isActive: pm.isActive, isVerified: pm.isVerified, isDefault: pm.isDefault,
    createdAt: pm.createdAt.toISOString(), updatedAt: pm.updatedAt.toISOString(),
  };
}

@Injectable()
export class PaymentMethodService {
  constructor(
    private readonly orm: MikroORM,
    private readonly paymentMethods: PaymentMethodRepository,
  ) {}

  async listForUser(userId: string, limit: number, offset: number): Promise<Page<PaymentMethodView>> {
    const [rows, total] = await this.paymentMethods.findForUser(freshEm(this.orm), userId, limit, offset);
    return { items: rows.map(toPaymentMethodView), total, limit, offset };
  }
}
