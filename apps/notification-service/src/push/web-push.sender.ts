import * as webpush from 'web-push';
import type { Logger } from 'pino';
import { PushEndpointAllowlist, pushEndpointProblem } from '@tally/security';
import {
  PushEndpointNotAllowedError, PushPayload, PushPermanentError, PushRetryableError, PushSender, PushSent, PushTarget, parseWebSubscription, pushErrorFor,
} from './push-sender';

export interface VapidKeys {
  publicKey: string;
  privateKey: string;
  /** `mailto:` or `https:` contact the push services may use (RFC 8292). */
  subject: string;
}

/**
 * The VAPID keys from config. Outside production a missing pair is generated (and its public key
 * logged: the web app needs it for `pushManager.subscribe`); in production both are required.
 * Keys generated this way change on restart, which invalidates browsers' subscriptions: dev only.
 */
export function resolveVapidKeys(
  c: { VAPID_PUBLIC_KEY?: string; VAPID_PRIVATE_KEY?: string; VAPID_SUBJECT: string },
  production: boolean,
  logger: Pick<Logger, 'warn'>,
): VapidKeys {
  if (c.VAPID_PUBLIC_KEY && c.VAPID_PRIVATE_KEY) return checkVapidKeys({ publicKey: c.VAPID_PUBLIC_KEY, privateKey: c.VAPID_PRIVATE_KEY, subject: c.VAPID_SUBJECT });
  if (c.VAPID_PUBLIC_KEY || c.VAPID_PRIVATE_KEY) throw new Error('VAPID_PUBLIC_KEY and VAPID_PRIVATE_KEY must be set together');
  if (production) throw new Error('VAPID_PUBLIC_KEY and VAPID_PRIVATE_KEY are required in production (npx web-push generate-vapid-keys)');
  const k = webpush.generateVAPIDKeys();
  checkVapidKeys({ ...k, subject: c.VAPID_SUBJECT });
  logger.warn({ vapidPublicKey: k.publicKey }, 'no VAPID keys configured: generated a pair for this process (dev only; set VAPID_PUBLIC_KEY/VAPID_PRIVATE_KEY)');
  return { ...k, subject: c.VAPID_SUBJECT };
}

/**
 * Signs one VAPID header with the keys, so a bad key or subject stops the worker at boot instead
 * of failing every push. The keys: the public one an uncompressed P-256 point (65 bytes), the
 * private one 32 bytes, both base64url, as `npx web-push generate-vapid-keys` prints them.
 */
export function checkVapidKeys(k: VapidKeys): VapidKeys {
  try {
    webpush.getVapidHeaders('https://push.example.com', k.subject, k.publicKey, k.privateKey, 'aes128gcm');
  } catch (err) {
    throw new Error(`invalid VAPID configuration: ${(err as Error).message}`);
  }
  return k;
}

export interface WebPushSenderOptions {
  vapid: VapidKeys;
  /** How long the push service keeps an undelivered message (seconds). */
  ttlSeconds: number;
  timeoutMs: number;
  /**
   * Whether http:// endpoints are used (a local push endpoint in development and tests). Off in
   * production: browsers' push services are all https, and an http endpoint a user registered
   * would make the worker POST to whatever plain-http address they named.
   */
  allowHttpEndpoints: boolean;
  /**
   * The push services an endpoint may name (PUSH_ENDPOINT_HOSTS; auth-service refuses others at
   * registration, this is the defence in depth for devices registered before, or a changed list).
   */
  endpoints: PushEndpointAllowlist;
}

/**
 * Web Push (RFC 8030/8291/8292) with the `web-push` package: it signs the VAPID JWT and encrypts
 * the payload (aes128gcm); the request itself goes out with fetch, so http:// endpoints (the test
 * push service) work as well as the browsers' https ones.
 */
export class WebPushSender implements PushSender {
  constructor(private readonly opts: WebPushSenderOptions) {}

  async send(device: PushTarget, payload: PushPayload): Promise<PushSent> {
    const sub = parseWebSubscription(device.token);
    if (!sub) throw new PushPermanentError('device token is not a PushSubscription (endpoint, keys.p256dh, keys.auth)');
    const refused = pushEndpointProblem(sub.endpoint, this.opts.endpoints);
    if (refused) throw new PushEndpointNotAllowedError(`push subscription ${refused}`);
    if (!this.opts.allowHttpEndpoints && new URL(sub.endpoint).protocol !== 'https:') throw new PushPermanentError('push endpoint is not https');
    const body = JSON.stringify({ title: payload.title, body: payload.body, url: payload.url ?? null, notificationId: payload.notificationId });
    let details: webpush.RequestDetails;
    try {
      details = webpush.generateRequestDetails(sub, body, {
        vapidDetails: this.opts.vapid,
        TTL: this.opts.ttlSeconds,
        contentEncoding: 'aes128gcm',
        urgency: payload.urgency ?? 'normal',
      });
    } catch (err) {
      throw new PushPermanentError(`cannot encrypt for this subscription: ${(err as Error).message}`);
    }
    let res: Response;
    try {
      res = await fetch(details.endpoint, {
        method: 'POST',
        headers: details.headers as Record<string, string>,
        body: details.body ?? undefined,
        signal: AbortSignal.timeout(this.opts.timeoutMs),
        redirect: 'error',
      });
    } catch (err) {
      // fetch says "fetch failed" and puts the reason (ECONNREFUSED, a TLS error…) in `cause`.
      const e = err as Error & { cause?: { code?: string; message?: string } };
      const why = e.name === 'TimeoutError' ? `no answer within ${this.opts.timeoutMs} ms` : [e.message, e.cause?.code ?? e.cause?.message].filter(Boolean).join(': ');
      throw new PushRetryableError(`push service unreachable: ${why}`);
    }
    const text = await res.text().catch(() => '');
    if (res.status < 200 || res.status > 299) throw pushErrorFor(res.status, text);
    const location = res.headers.get('location');
    return { status: 'sent', ...(location ? { externalId: location.slice(0, 255) } : {}) };
  }
}
