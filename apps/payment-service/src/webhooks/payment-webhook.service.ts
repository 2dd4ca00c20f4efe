import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { Injectable, Logger } from '@nestjs/common';
import { MikroORM } from '@mikro-orm/postgresql';
import { freshEm } from '@tally/persistence';
import { CursorPage, cursorPage, decodeCursor } from '@tally/service-kit';
import { PaymentProviders, ProviderWebhookEvent, WebhookVerificationError } from '../providers/payment-provider';
import { ListPaymentWebhooksQueryDto } from './dto/payment-webhook.dto';
import { WebhookErrors } from './payment-webhook.exceptions';
import { PaymentWebhookQueue, WebhookJobBusyError } from './payment-webhook-queue';
import { PaymentWebhookRepository } from './payment-webhook.repository';
import { PaymentWebhookView, toWebhookView } from './payment-webhook.view';

export interface ReceivedWebhook {
  received: true;
  id: string;
  /** The event was stored before (a redelivery): nothing new was stored. */
  duplicate: boolean;
  status: string;
}

/** Who asks (admin routes). */
export interface WebhookActor {
  role: string;
}

/**
 * Provider webhooks: verify, store once, queue, answer (`receive`, public); the rest is payment-worker's.
 * Admins list, read and replay them (`list`, `get`, `replay`; `npm run webhooks:replay` does the same).
 */
@Injectable()
export class PaymentWebhookService {
  private readonly logger = new Logger('PaymentWebhookService');

  constructor(
    private readonly orm: MikroORM,
    private readonly webhooks: PaymentWebhookRepository,
    private readonly providers: PaymentProviders,
    private readonly queue: PaymentWebhookQueue,
  ) {}

  /**
   * A delivery from `providerName`: unknown or disabled provider → 404; signature missing, forged or
   * older than 300 s, or a body that is not an event → 400, nothing stored. Otherwise the event is
   * stored once (ON CONFLICT (event_id) DO NOTHING) and, unless it is of a type Tally ignores, queued
   * with the row's id as job id: five concurrent deliveries make one row and one job. Redis down → 503
   * (the provider delivers again, and the stored row is queued then).
   */
  async receive(providerName: string, rawBody: Buffer | undefined, headers: IncomingHttpHeaders): Promise<ReceivedWebhook> {
    const provider = this.providers.get(providerName);
    if (!provider) throw WebhookErrors.providerNotFound();
    if (!rawBody || rawBody.length === 0) throw WebhookErrors.rejected('malformed', 'The webhook has no JSON body.');
    let event: ProviderWebhookEvent;
    let payload: Record<string, unknown>;
    try {
      event = provider.parseWebhook(rawBody, headers);
      payload = JSON.parse(rawBody.toString('utf8')) as Record<string, unknown>;
    } catch (err) {
      if (err instanceof WebhookVerificationError) throw WebhookErrors.rejected(err.reason, err.message);
      if (err instanceof SyntaxError) throw WebhookErrors.rejected('malformed', 'The webhook body is not JSON.');
      throw err;
    }
    const { webhook, inserted } = await this.webhooks.insertOnce(freshEm(this.orm), {
      id: randomUUID(),
      service: provider.name,
      eventId: event.eventId,
      eventType: event.type,
      rawPayload: payload,
      status: event.status ? 'received' : 'ignored',
      ...(event.status ? {} : { processedPayload: { outcome: 'ignored', reason: `${event.type} is not acted on` } }),
    });
    if (webhook.status === 'received') {
      try {
        await this.queue.enqueue(webhook.id);
      } catch (err) {
        this.logger.warn(`webhook ${webhook.id} stored but not queued: ${(err as Error).message}`);
        throw WebhookErrors.queueUnavailable();
      }
    }
    return { received: true, id: webhook.id, duplicate: !inserted, status: webhook.status };
  }

  async list(actor: WebhookActor, q: ListPaymentWebhooksQueryDto): Promise<CursorPage<PaymentWebhookView>> {
    this.requireAdmin(actor);
    const after = decodeCursor(q.cursor);
    const rows = await this.webhooks.list(freshEm(this.orm), { status: q.status, service: q.provider, after, take: q.limit + 1 });
    return cursorPage(rows, q.limit, (w) => ({ at: w.createdAt, id: w.id }), (w) => toWebhookView(w));
  }

  async get(actor: WebhookActor, id: string): Promise<PaymentWebhookView> {
    this.requireAdmin(actor);
    const w = await this.webhooks.findById(freshEm(this.orm), id);
    if (!w) throw WebhookErrors.notFound();
    return toWebhookView(w, true);
  }

  /** An admin's replay (POST /api/v1/payment-webhooks/:id/replay). */
  async replay(actor: WebhookActor, id: string): Promise<PaymentWebhookView> {
    this.requireAdmin(actor);
    return this.requeue(id);
  }

  /**
   * Puts a failed webhook (or one stored and never queued) back: status `received`, its job replaced by
   * a fresh one with all its attempts. A processed or ignored one: 409. While its job runs: 409.
   */
  async requeue(id: string): Promise<PaymentWebhookView> {
    const em = freshEm(this.orm);
    const current = await this.webhooks.findById(em, id);
    if (!current) throw WebhookErrors.notFound();
    const reset = await this.webhooks.resetForReplay(em, id);
    if (!reset) throw WebhookErrors.notReplayable(current.status);
    try {
      await this.queue.requeue(id);
    } catch (err) {
      if (err instanceof WebhookJobBusyError) throw WebhookErrors.busy();
      this.logger.warn(`webhook ${id} reset but not queued: ${(err as Error).message}`);
      throw WebhookErrors.queueUnavailable();
    }
    return toWebhookView(reset);
  }

  private requireAdmin(actor: WebhookActor): void {
    if (actor.role !== 'admin') throw WebhookErrors.adminRequired();
  }
}
