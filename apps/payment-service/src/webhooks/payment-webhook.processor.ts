import type { Logger } from 'pino';
import { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { redactErrorText } from '@tally/observability';
import { freshEm, inTransaction } from '@tally/persistence';
import { ProviderWebhookEvent, isProviderName } from '../providers/payment-provider';
import { WEBHOOK_INTERPRETERS } from '../providers/webhook-interpreters';
import { PaymentTransitions } from '../payments/payment-transitions';
import { PaymentRepository } from '../payments/payment.repository';
import { PaymentWebhookRepository } from './payment-webhook.repository';

/** The payment a webhook is about is not (yet) in the database: the webhook beat our commit. Retried. */
export class PaymentNotKnownYetError extends Error {
  constructor(provider: string, e: Pick<ProviderWebhookEvent, 'externalId' | 'paymentId' | 'eventId'>) {
    super(`no ${provider} payment ${e.externalId ?? e.paymentId} for event ${e.eventId} (yet)`);
    this.name = 'PaymentNotKnownYetError';
  }
}

export type WebhookOutcome =
  | { outcome: 'skipped'; reason: string }
  | { outcome: 'ignored'; reason: string; paymentId: string | null }
  | { outcome: 'processed'; paymentId: string; from: string; to: string; settlement: string };

/**
 * Applies one stored webhook to its payment, in one transaction: the webhook row locked (one worker at
 * a time; a processed or ignored one is skipped), the event re-read from its stored body, the payment
 * found by the provider's id (or ours in its metadata) and locked, the status machine applied
 * (payment.<status>, and the settlement completed or reversed), the row marked processed — or ignored
 * when it moved nothing (a late or out-of-order event) or is of a type Tally does not act on.
 * A failure rolls that back and records the attempt on the row (failed, retry_count + 1, the redacted
 * reason), then rethrows so BullMQ retries with backoff; a payment not known yet is such a failure.
 */
export class PaymentWebhookProcessor {
  constructor(
    private readonly orm: MikroORM,
    private readonly webhooks: PaymentWebhookRepository,
    private readonly payments: PaymentRepository,
    private readonly transitions: PaymentTransitions,
    private readonly logger: Logger,
  ) {}

  async process(webhookId: string): Promise<WebhookOutcome> {
    try {
      const result = await inTransaction(this.orm, (em) => this.apply(em, webhookId));
      if (result.outcome !== 'skipped') this.logger.info({ webhookId, ...result }, 'payment webhook applied');
      return result;
    } catch (err) {
      const message = redactErrorText(`${(err as Error)?.name ?? 'Error'}: ${(err as Error)?.message ?? String(err)}`).slice(0, 2000);
      await this.webhooks.recordFailure(freshEm(this.orm), webhookId, message).catch((e: Error) =>
        this.logger.warn({ webhookId, err: e.message }, 'could not record the webhook failure'));
      throw err;
    }
  }

  private async apply(em: EntityManager, webhookId: string): Promise<WebhookOutcome> {
    const w = await this.webhooks.lock(em, webhookId);
    if (!w) return { outcome: 'skipped', reason: 'no such webhook' };
    if (w.status === 'processed' || w.status === 'ignored') return { outcome: 'skipped', reason: `already ${w.status}` };
    const ignore = async (reason: string, paymentId: string | null = null, extra: Record<string, unknown> = {}): Promise<WebhookOutcome> => {
      await this.webhooks.finish(em, w.id, { status: 'ignored', paymentId, processedPayload: { outcome: 'ignored', reason, ...extra } });
      return { outcome: 'ignored', reason, paymentId };
    };
    if (!isProviderName(w.service)) return ignore(`unknown provider ${w.service}`);
    let event: ProviderWebhookEvent;
    try {
      event = WEBHOOK_INTERPRETERS[w.service](w.rawPayload);
    } catch (err) {
      return ignore(`unreadable: ${(err as Error).message}`);
    }
    if (!event.status) return ignore(`${event.type} is not acted on`);

    const payment = await this.payments.lockForProvider(em, w.service, event);
    if (!payment) throw new PaymentNotKnownYetError(w.service, event);
    const t = await this.transitions.apply(em, payment, {
      status: event.status, fee: event.fee, errorCode: event.errorCode, errorMessage: event.errorMessage, at: event.occurredAt,
    });
    const summary = { reported: event.status, from: t.from, to: t.to, settlement: t.settlement, ...(event.fee ? { fee: event.fee } : {}) };
    if (!t.to) return ignore(`${event.type}: the payment is ${t.from}; ${event.status} does not move it`, payment.id, summary);
    await this.webhooks.finish(em, w.id, { status: 'processed', paymentId: payment.id, processedPayload: { outcome: 'processed', ...summary } });
    return { outcome: 'processed', paymentId: payment.id, from: t.from, to: t.to, settlement: t.settlement };
  }
}
