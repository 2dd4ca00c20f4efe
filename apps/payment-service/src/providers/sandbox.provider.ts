import type { IncomingHttpHeaders } from 'node:http';
import type { Logger } from 'pino';
import {
  CreatePaymentInput, CreatedPayment, PaymentProvider, ProviderPaymentStatus, ProviderWebhookEvent, WebhookVerificationError, headerValue,
} from './payment-provider';
import { parseJsonObject, signBody, verifySignedBody } from './webhook-signature';

export const SANDBOX_SIGNATURE_HEADER = 'Sandbox-Signature';

export interface SandboxProviderOptions {
  webhookSecret: string;
  /** Where its webhooks go: the gateway's /webhooks/sandbox, as a real provider's would. */
  webhookUrl: string;
  /** How long after creation a payment settles (its webhook is sent). */
  settleMs: number;
  logger: Logger;
  /** Delivery attempts per webhook (1 s, 2 s, 4 s... apart). */
  deliveryAttempts?: number;
}

/** What the sandbox needs to settle a payment it accepted: created now, or found still processing at start. */
export interface SandboxPayment {
  paymentId: string;
  externalId: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const TYPES: Record<string, ProviderPaymentStatus> = {
  'payment.processing': 'processing',
  'payment.completed': 'completed',
  'payment.failed': 'failed',
  'payment.cancelled': 'cancelled',
  'payment.refunded': 'refunded',
};

/** The sandbox's id of a payment. */
export const sandboxExternalId = (paymentId: string) => `sb_${paymentId.replace(/-/g, '')}`;

/** A sandbox event (what it posts) in our words. */
export function interpretSandboxEvent(event: Record<string, unknown>): ProviderWebhookEvent {
  const data = event.data && typeof event.data === 'object' && !Array.isArray(event.data) ? (event.data as Record<string, unknown>) : {};
  const eventId = typeof event.id === 'string' ? event.id : '';
  const type = typeof event.type === 'string' ? event.type : '';
  if (!/^evt_sb_[A-Za-z0-9_-]{1,200}$/.test(eventId) || !type || type.length > 100) throw new WebhookVerificationError('malformed', 'A sandbox event needs an id and a type.');
  const status = TYPES[type] ?? null;
  const externalId = typeof data.externalId === 'string' && data.externalId.length <= 255 ? data.externalId : null;
  const paymentId = typeof data.paymentId === 'string' && UUID.test(data.paymentId) ? data.paymentId.toLowerCase() : null;
  if (status && !externalId && !paymentId) throw new WebhookVerificationError('malformed', `${type} names no payment.`);
  return {
    eventId, type, status, externalId, paymentId, fee: null,
    errorCode: status === 'failed' ? 'sandbox_failed' : null,
    errorMessage: null,
    occurredAt: typeof event.created === 'number' && Number.isFinite(event.created) ? new Date(event.created * 1000) : new Date(),
  };
}

/**
 * The development provider: accepts every payment, answers `processing`, and SANDBOX_SETTLE_MS later
 * posts a `payment.completed` webhook to SANDBOX_WEBHOOK_URL, signed like Stripe's
 * (`Sandbox-Signature: t=...,v1=HMAC-SHA256(secret, t + "." + body)`), retrying a failed delivery a few
 * times. Its timers live in this process; payment-service resends for every sandbox payment still
 * processing when it starts (`resume`), and the event id is the payment's, so a resend is stored once.
 * It moves no money: never enable it where real settlements are made (SANDBOX_ENABLED).
 */
export class SandboxProvider implements PaymentProvider {
  readonly name = 'sandbox' as const;
  private readonly timers = new Set<NodeJS.Timeout>();
  private closed = false;

  constructor(private readonly opts: SandboxProviderOptions) {}

  async createPayment(input: CreatePaymentInput): Promise<CreatedPayment> {
    const externalId = sandboxExternalId(input.paymentId);
    this.schedule({ paymentId: input.paymentId, externalId }, this.opts.settleMs);
    return { externalId, status: 'processing', fee: '0' };
  }

  parseWebhook(rawBody: Buffer, headers: IncomingHttpHeaders): ProviderWebhookEvent {
    verifySignedBody(rawBody, headerValue(headers, SANDBOX_SIGNATURE_HEADER), this.opts.webhookSecret, SANDBOX_SIGNATURE_HEADER);
    return interpretSandboxEvent(parseJsonObject(rawBody));
  }

  /** Settles payments accepted before a restart (their timers were lost with the process). */
  resume(payments: readonly SandboxPayment[]): void {
    for (const p of payments) this.schedule(p, this.opts.settleMs);
  }

  /** Stops every pending delivery (shutdown). */
  close(): void {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  private schedule(p: SandboxPayment, delayMs: number, attempt = 1): void {
    if (this.closed) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      void this.deliver(p).then((ok) => {
        const max = this.opts.deliveryAttempts ?? 6;
        if (ok) return;
        if (attempt >= max) {
          this.opts.logger.warn({ paymentId: p.paymentId, attempts: attempt }, 'sandbox webhook not delivered; it is resent when payment-service restarts');
          return;
        }
        this.schedule(p, 1000 * 2 ** (attempt - 1), attempt + 1);
      });
    }, delayMs);
    timer.unref();
    this.timers.add(timer);
  }

  private async deliver(p: SandboxPayment): Promise<boolean> {
    const body = JSON.stringify({
      id: `evt_sb_${p.paymentId.replace(/-/g, '')}_completed`,
      object: 'event',
      type: 'payment.completed',
      created: Math.floor(Date.now() / 1000),
      data: { paymentId: p.paymentId, externalId: p.externalId, status: 'completed' },
    });
    try {
      const res = await fetch(this.opts.webhookUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [SANDBOX_SIGNATURE_HEADER]: signBody(body, this.opts.webhookSecret) },
        body,
        signal: AbortSignal.timeout(5000),
      });
      await res.arrayBuffer().catch(() => undefined);
      if (res.ok) return true;
      this.opts.logger.warn({ paymentId: p.paymentId, status: res.status }, 'sandbox webhook refused');
      return false;
    } catch (err) {
      this.opts.logger.warn({ paymentId: p.paymentId, err: (err as Error).message }, 'sandbox webhook delivery failed');
      return false;
    }
  }
}
