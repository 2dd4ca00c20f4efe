import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { freshEm, inTransaction } from '@tally/persistence';
import { SecretBox } from '@tally/security';
import { CursorPage, cursorPage, decodeCursor } from '@tally/service-kit';
import { CreatePaymentMethodDto, ListPaymentMethodsQueryDto, UpdatePaymentMethodDto } from './dto/payment-method.dto';
import { readPaymentDetails } from './payment-method-details';
import { PaymentMethod, PaymentMethodType } from './payment-method.entity';
import { PaymentMethodErrors } from './payment-method.exceptions';
import { DEFAULT_SORT_TIME, PaymentMethodRepository } from './payment-method.repository';

export type MaskedDetails = Record<string, string | number | boolean>;

export interface PaymentMethodView {
  id: string;
  methodType: string;
  name: string;
  /** Only allow-listed fields of the details, with numbers and addresses masked. */
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
 * What of a payment method's details a client may see, by key (compared lowercase without `_`, `-`, spaces).
 * Deny by default: any key not listed (cvv, pin, tokens, secrets, provider keys, anything new) is dropped, as are
 * nested objects and arrays. Showing a field is a deliberate change to this list.
 */
const DETAIL_RULES: Readonly<Record<string, DetailRule>> = {
  brand: 'show', network: 'show', funding: 'show', bankname: 'show', institution: 'show', accounttype: 'show',
  accountholdername: 'show', holdername: 'show', country: 'show', currency: 'show', expmonth: 'show', expyear: 'show',
  bic: 'show', handle: 'show', description: 'show',
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

/**
 * The client's view: the masked details (never the sealed ones), and nothing of the provider
 * (`externalId`, `provider`, `metadata`). `details_masked` is masked again on the way out, so a row
 * written any other way still shows nothing it should not.
 */
export function toPaymentMethodView(pm: PaymentMethod): PaymentMethodView {
  return {
    id: pm.id, methodType: pm.methodType, name: pm.name, details: maskPaymentDetails(pm.detailsMasked),
    isActive: pm.isActive, isVerified: pm.isVerified, isDefault: pm.isDefault,
    createdAt: pm.createdAt.toISOString(), updatedAt: pm.updatedAt.toISOString(),
  };
}

/**
 * A user's payment methods. Details are checked per type (a full card number is refused), sealed with
 * SECRETS_KEY (`details` = `{ sealed }`) and shown masked. At most one active default per user
 * (uq_payment_method_user_default): the first method becomes it, and changing it unsets the old one in
 * the same transaction, under a per-user lock. Someone else's method, or a removed one, is 404.
 */
@Injectable()
export class PaymentMethodService {
  constructor(
    private readonly orm: MikroORM,
    private readonly methods: PaymentMethodRepository,
    private readonly box: SecretBox,
  ) {}

  async create(userId: string, dto: CreatePaymentMethodDto): Promise<PaymentMethodView> {
    const details = readPaymentDetails(dto.methodType, dto.details);
    return inTransaction(this.orm, async (em) => {
      await this.methods.lockUser(em, userId);
      const makeDefault = dto.isDefault === true || !(await this.methods.hasDefault(em, userId));
      if (makeDefault) await this.methods.clearDefault(em, userId);
      const now = new Date();
      const pm = Object.assign(new PaymentMethod(), {
        id: randomUUID(), userId, methodType: dto.methodType, name: dto.name,
        details: this.seal(details), detailsMasked: maskPaymentDetails(details),
        isActive: true, isDefault: makeDefault, createdAt: now, updatedAt: now,
      });
      return toPaymentMethodView(await this.methods.insert(em, pm));
    });
  }

  async list(userId: string, q: ListPaymentMethodsQueryDto): Promise<CursorPage<PaymentMethodView>> {
    const rows = await this.methods.list(freshEm(this.orm), userId, { includeInactive: q.includeInactive === true, after: decodeCursor(q.cursor), take: q.limit + 1 });
    return cursorPage(rows, q.limit, (pm) => ({ at: pm.isDefault && pm.isActive ? DEFAULT_SORT_TIME : pm.createdAt, id: pm.id }), toPaymentMethodView);
  }

  async get(userId: string, id: string): Promise<PaymentMethodView> {
    const pm = await this.methods.findOwned(freshEm(this.orm), userId, id);
    if (!pm) throw PaymentMethodErrors.notFound();
    return toPaymentMethodView(pm);
  }

  async rename(userId: string, id: string, dto: UpdatePaymentMethodDto): Promise<PaymentMethodView> {
    return inTransaction(this.orm, async (em) => {
      const pm = await this.methods.findOwned(em, userId, id, true);
      if (!pm) throw PaymentMethodErrors.notFound();
      return toPaymentMethodView(pm.name === dto.name ? pm : await this.methods.update(em, id, { name: dto.name }));
    });
  }

  /** Makes it the user's one default, unsetting the old one in the same transaction. */
  async makeDefault(userId: string, id: string): Promise<PaymentMethodView> {
    return inTransaction(this.orm, async (em) => {
      await this.methods.lockUser(em, userId);
      const pm = await this.methods.findOwned(em, userId, id, true);
      if (!pm) throw PaymentMethodErrors.notFound();
      if (!pm.isActive) throw PaymentMethodErrors.inactive();
      if (pm.isDefault) return toPaymentMethodView(pm);
      await this.methods.clearDefault(em, userId);
      return toPaymentMethodView(await this.methods.update(em, id, { isDefault: true }));
    });
  }

  /** No longer usable for new settlements or payments (kept, and listed with includeInactive); never the default. */
  async deactivate(userId: string, id: string): Promise<PaymentMethodView> {
    return inTransaction(this.orm, async (em) => {
      await this.methods.lockUser(em, userId);
      const pm = await this.methods.findOwned(em, userId, id, true);
      if (!pm) throw PaymentMethodErrors.notFound();
      if (!pm.isActive) return toPaymentMethodView(pm);
      return toPaymentMethodView(await this.methods.update(em, id, { isActive: false, isDefault: false }));
    });
  }

  /** Soft removal: inactive, removed_at set, never the default; gone from every read (404 after). */
  async remove(userId: string, id: string): Promise<void> {
    await inTransaction(this.orm, async (em) => {
      await this.methods.lockUser(em, userId);
      const pm = await this.methods.findOwned(em, userId, id, true);
      if (!pm) throw PaymentMethodErrors.notFound();
      await this.methods.update(em, id, { isActive: false, isDefault: false, removedAt: new Date() });
    });
  }

  // ---- for settlements and payments -------------------------------------------------------------

  /** The user's active method (not removed), or null: what a settlement or payment may use. */
  findUsable(em: EntityManager, userId: string, methodId: string): Promise<PaymentMethod | null> {
    return this.methods.findUsable(em, userId, methodId);
  }

  /** A provider confirmed the method (e.g. a Stripe SetupIntent succeeded). False when it is not an active method. */
  markVerified(em: EntityManager, methodId: string, provider: string, externalId: string): Promise<boolean> {
    return this.methods.markVerified(em, methodId, provider, externalId);
  }

  /** The method's details in clear, for a provider call; never for a response or a log. */
  openDetails(pm: PaymentMethod): Record<string, unknown> {
    const sealed = (pm.details as { sealed?: unknown }).sealed;
    if (!SecretBox.isSealed(sealed)) return {};
    return JSON.parse(this.box.open(sealed)) as Record<string, unknown>;
  }

  private seal(details: Record<string, unknown>): { sealed: string } {
    return { sealed: this.box.seal(JSON.stringify(details)) };
  }
}

export type { PaymentMethodType };
