import { randomUUID } from 'node:crypto';
import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { MikroORM } from '@mikro-orm/postgresql';
import { OutboxWriter } from '@tally/messaging';
import { MoneyError } from '@tally/money';
import { freshEm, inTransaction } from '@tally/persistence';
import { CursorPage, cursorPage, decodeCursor } from '@tally/service-kit';
import { IdempotencyService } from '../idempotency/idempotency.service';
import type { IdempotencyRequestInfo } from '../idempotency/idempotency-key.decorator';
import type { PaymentMethod } from '../payment-methods/payment-method.entity';
import { PaymentMethodService } from '../payment-methods/payment-method.service';
import {
  PaymentProvider, PaymentProviders, ProviderAmountError, ProviderDeclinedError, ProviderUnavailableError,
} from '../providers/payment-provider';
import { minorUnits } from '../providers/provider-amounts';
import { SandboxProvider } from '../providers/sandbox.provider';
import { SettlementErrors } from '../settlements/settlement.exceptions';
import { SettlementLifecycle } from '../settlements/settlement-lifecycle';
import { SettlementRepository } from '../settlements/settlement.repository';
import { CreatePaymentDto, ListPaymentsQueryDto } from './dto/payment.dto';
import { PaymentTransitions } from './payment-transitions';
import { PaymentErrors } from './payment.exceptions';
import { PaymentEvents, paymentAmount } from './payment.events';
import { Payment, PaymentRepository } from './payment.repository';
import { PaymentView, toPaymentView } from './payment.view';

const isUniqueViolation = (err: unknown): boolean => {
  const e = err as { code?: string; name?: string; cause?: { code?: string } };
  return e?.code === '23505' || e?.cause?.code === '23505' || e?.name === 'UniqueConstraintViolationException';
};

/**
 * Paying a settlement through a provider. `create` does it all in one transaction: the Idempotency-Key
 * row, the settlement locked (its payer, pending), the payment inserted `pending`, the provider called
 * with the payment's id as its idempotency key, the provider's answer applied through the status
 * machine, payment.created (and payment.<status>) in the outbox. A provider that is down, declines or
 * cannot take the amount rolls all of it back: nothing is half-made, and a retry with the same
 * Idempotency-Key does the work then. What happens after (the provider's webhooks) is payment-worker's.
 */
@Injectable()
export class PaymentService implements OnApplicationBootstrap {
  private readonly logger = new Logger('PaymentService');

  constructor(
    private readonly orm: MikroORM,
    private readonly payments: PaymentRepository,
    private readonly providers: PaymentProviders,
    private readonly idempotency: IdempotencyService,
    private readonly lifecycle: SettlementLifecycle,
    private readonly settlements: SettlementRepository,
    private readonly methods: PaymentMethodService,
    private readonly transitions: PaymentTransitions,
    private readonly outbox: OutboxWriter,
  ) {}

  async create(userId: string, dto: CreatePaymentDto, idem: IdempotencyRequestInfo): Promise<{ status: number; body: PaymentView; replayed: boolean }> {
    const provider = this.provider(dto.provider ?? this.providers.defaultName);
    return inTransaction(this.orm, (em) =>
      this.idempotency.run(em, { userId, key: idem.key, method: idem.method, path: idem.path, body: dto }, async () => {
        const settlement = await this.lifecycle.lockForPayment(em, dto.settlementId, userId);
        if (await this.payments.findLive(em, settlement.id)) throw PaymentErrors.paymentInProgress();
        const method = await this.methods.findUsable(em, userId, dto.paymentMethodId);
        if (!method) throw PaymentErrors.paymentMethodNotUsable();
        const refs = this.methodRefs(method, provider);
        let amountMinor: bigint;
        try {
          amountMinor = minorUnits(settlement.amount, settlement.currency);
        } catch (err) {
          if (err instanceof MoneyError || err instanceof ProviderAmountError) throw PaymentErrors.amountNotSupported(err.message);
          throw err;
        }
        const id = randomUUID();
        let payment: Payment;
        try {
          payment = await this.payments.insert(em, {
            id, settlementId: settlement.id, amount: paymentAmount(settlement.amount, settlement.currency), currencyId: settlement.currencyId,
            currency: settlement.currency, paymentMethodId: method.id, paymentService: provider.name, createdById: userId,
            // The provider's id of the method charged: the method is marked verified with it once the payment succeeds.
            metadata: refs.externalId ? { providerMethodId: refs.externalId } : {},
          });
        } catch (err) {
          if (isUniqueViolation(err)) throw PaymentErrors.paymentInProgress();
          throw err;
        }

        let created;
        try {
          created = await provider.createPayment({
            paymentId: id, settlementId: settlement.id, amountMinor, currency: settlement.currency, idempotencyKey: id,
            method: { id: method.id, methodType: method.methodType, ...refs },
          });
        } catch (err) {
          throw this.providerFailure(provider, err);
        }

        payment = await this.payments.update(em, id, { externalTransactionId: created.externalId });
        const now = new Date();
        await this.outbox.append(em, PaymentEvents.created(payment, settlement, now));
        const moved = await this.transitions.apply(em, payment, {
          status: created.status,
          fee: created.fee ? { amount: created.fee, currency: settlement.currency } : null,
          errorCode: created.errorCode ?? null,
          errorMessage: created.errorMessage ?? null,
          at: now,
        });
        return { status: 201, body: toPaymentView(moved.payment) };
      }),
    );
  }

  /** A payment of a settlement the user pays or receives; 404 otherwise. */
  async get(userId: string, id: string): Promise<PaymentView> {
    const em = freshEm(this.orm);
    const payment = await this.payments.findById(em, id);
    if (!payment) throw PaymentErrors.notFound();
    const s = await this.settlements.findById(em, payment.settlementId);
    if (!s || (s.payerId !== userId && s.payeeId !== userId)) throw PaymentErrors.notFound();
    return toPaymentView(payment);
  }

  /** A settlement's payments, newest first, for its payer and payee (others: 404 SETTLEMENT_NOT_FOUND). */
  async list(userId: string, q: ListPaymentsQueryDto): Promise<CursorPage<PaymentView>> {
    const after = decodeCursor(q.cursor);
    const em = freshEm(this.orm);
    const s = await this.settlements.findById(em, q.settlementId);
    if (!s || (s.payerId !== userId && s.payeeId !== userId)) throw SettlementErrors.notFound();
    const rows = await this.payments.listForSettlement(em, s.id, after, q.limit + 1);
    return cursorPage(rows, q.limit, (p) => ({ at: p.createdAt, id: p.id }), toPaymentView);
  }

  /**
   * The sandbox's timers die with the process: at start, every sandbox payment still waiting is handed
   * back to it, so it sends the webhook again (the same event id: stored once however often it is sent).
   */
  async onApplicationBootstrap(): Promise<void> {
    const sandbox = this.providers.get('sandbox');
    if (!(sandbox instanceof SandboxProvider)) return;
    try {
      const waiting = await this.payments.findInFlight(freshEm(this.orm), 'sandbox', 1000);
      sandbox.resume(waiting.map((p) => ({ paymentId: p.id, externalId: p.externalTransactionId! })));
      if (waiting.length) this.logger.log(`sandbox: ${waiting.length} payment(s) still processing will be settled again`);
    } catch (err) {
      this.logger.warn(`sandbox: could not resume waiting payments: ${(err as Error).message}`);
    }
  }

  private provider(name: string): PaymentProvider {
    const p = this.providers.get(name);
    if (!p) throw PaymentErrors.providerNotAvailable(name);
    return p;
  }

  /**
   * The method as the provider knows it; refused when the provider cannot use it. At Stripe that is a
   * PaymentMethod id (`pm_...`): the method's `externalId` once a provider confirmed it, else the
   * `payment_method_id` its sealed details hold (collected by Stripe.js on the client), with the
   * customer (`cus_...`) from `customer_id` or the method's metadata.
   */
  private methodRefs(method: PaymentMethod, provider: PaymentProvider): { externalId: string | null; customerRef: string | null } {
    if (method.methodType === 'cash') throw PaymentErrors.paymentMethodNotSupported(provider.name, 'cash is settled by hand (confirm the settlement instead).');
    const meta = method.metadata ?? {};
    const pick = (v: unknown, pattern: RegExp): string | null => (typeof v === 'string' && pattern.test(v) ? v : null);
    if (provider.name === 'stripe') {
      if (method.provider && method.provider !== 'stripe') throw PaymentErrors.paymentMethodNotSupported('stripe', `it is registered with ${method.provider}.`);
      const details = method.externalId ? {} : this.methods.openDetails(method);
      const externalId = method.externalId ?? pick(details.payment_method_id, /^pm_[A-Za-z0-9_]{1,250}$/);
      if (!externalId) throw PaymentErrors.paymentMethodNotSupported('stripe', 'it has no Stripe payment method id (pm_...).');
      const customerRef = pick(meta.customer ?? meta.customerId, /^cus_[A-Za-z0-9_]{1,250}$/) ?? pick(details.customer_id, /^cus_[A-Za-z0-9_]{1,250}$/);
      return { externalId, customerRef };
    }
    return { externalId: method.externalId ?? null, customerRef: null };
  }

  private providerFailure(provider: PaymentProvider, err: unknown): Error {
    if (err instanceof ProviderDeclinedError) return PaymentErrors.declined(err.declineCode, err.message);
    if (err instanceof ProviderAmountError) return PaymentErrors.amountNotSupported(err.message);
    if (err instanceof ProviderUnavailableError) {
      this.logger.warn(`${provider.name} unavailable: ${err.message}`);
      return PaymentErrors.providerUnavailable(provider.name);
    }
    return err as Error;
  }
}
