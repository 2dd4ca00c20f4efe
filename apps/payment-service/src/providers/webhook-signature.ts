import Stripe from 'stripe';
import { WEBHOOK_TOLERANCE_SECONDS, WebhookVerificationError } from './payment-provider';

/*
 * The signature scheme Stripe signs webhooks with, which the sandbox provider reuses: a header
 * `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, t + "." + raw body)>`, checked by Stripe's own verifier.
 */

/**
 * What the verifier does not check: that there is a header with a timestamp, and that the timestamp is
 * not more than 300 s ahead (Stripe's verifier lets future ones through; a forger holding an old secret
 * could otherwise make deliveries that never go stale). Returns the header.
 */
export function precheckSignatureHeader(header: string | undefined, headerName: string, now = Date.now()): string {
  if (!header || !header.trim()) throw new WebhookVerificationError('missing_signature', `The ${headerName} header is missing.`);
  const t = /(?:^|,)\s*t=(\d{1,12})\s*(?:,|$)/.exec(header)?.[1];
  if (!t) throw new WebhookVerificationError('bad_signature', `The ${headerName} header has no timestamp.`);
  if (Number(t) - Math.floor(now / 1000) > WEBHOOK_TOLERANCE_SECONDS) {
    throw new WebhookVerificationError('stale', `The ${headerName} timestamp is more than ${WEBHOOK_TOLERANCE_SECONDS} s in the future.`);
  }
  return header;
}

/** Stripe's verification errors in our words: a timestamp outside the tolerance is `stale`, anything else `bad_signature`. */
export function verificationFailure(err: unknown, headerName: string): WebhookVerificationError {
  if (err instanceof WebhookVerificationError) return err;
  if (err instanceof SyntaxError) return new WebhookVerificationError('malformed', 'The webhook body is not JSON.');
  const message = (err as Error)?.message ?? '';
  if (/tolerance/i.test(message)) return new WebhookVerificationError('stale', `The ${headerName} timestamp is more than ${WEBHOOK_TOLERANCE_SECONDS} s old.`);
  return new WebhookVerificationError('bad_signature', `The ${headerName} signature does not match the body.`);
}

/** Verifies `header` over the raw body with `secret` (300 s tolerance both ways). */
export function verifySignedBody(rawBody: Buffer, header: string | undefined, secret: string, headerName: string, now = Date.now()): void {
  const h = precheckSignatureHeader(header, headerName, now);
  try {
    Stripe.webhooks.signature!.verifyHeader(rawBody, h, secret, WEBHOOK_TOLERANCE_SECONDS, undefined, now);
  } catch (err) {
    throw verificationFailure(err, headerName);
  }
}

/** The body as a JSON object, or `malformed`. */
export function parseJsonObject(rawBody: Buffer): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(rawBody.toString('utf8'));
  } catch {
    throw new WebhookVerificationError('malformed', 'The webhook body is not JSON.');
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new WebhookVerificationError('malformed', 'The webhook body is not a JSON object.');
  return parsed as Record<string, unknown>;
}

/** The header a provider sends with `payload` signed at `timestamp` (unix seconds). */
export function signBody(payload: string, secret: string, timestamp = Math.floor(Date.now() / 1000)): string {
  return Stripe.webhooks.generateTestHeaderString({ payload, secret, timestamp });
}
