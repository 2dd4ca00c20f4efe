import type { PaymentWebhook, WebhookStatus } from './payment-webhook.repository';

/** A stored provider webhook as admins see it (the payloads only on the single-webhook read). */
export interface PaymentWebhookView {
  id: string;
  provider: string;
  eventId: string;
  eventType: string;
  status: WebhookStatus;
  paymentId: string | null;
  retryCount: number;
  errorMessage: string | null;
  processedAt: string | null;
  createdAt: string;
  updatedAt: string;
  rawPayload?: Record<string, unknown>;
  processedPayload?: Record<string, unknown>;
}

export function toWebhookView(w: PaymentWebhook, withPayloads = false): PaymentWebhookView {
  return {
    id: w.id, provider: w.service, eventId: w.eventId, eventType: w.eventType, status: w.status, paymentId: w.paymentId,
    retryCount: w.retryCount, errorMessage: w.errorMessage, processedAt: w.processedAt ? w.processedAt.toISOString() : null,
    createdAt: w.createdAt.toISOString(), updatedAt: w.updatedAt.toISOString(),
    ...(withPayloads ? { rawPayload: w.rawPayload, processedPayload: w.processedPayload } : {}),
  };
}
