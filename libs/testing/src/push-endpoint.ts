import { createECDH, createPublicKey, randomBytes, randomUUID, verify, ECDH } from 'node:crypto';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
const ece = require('http_ece') as { decrypt(buffer: Buffer, params: Record<string, unknown>): Buffer };

/** A browser's PushSubscription, as `JSON.stringify(subscription)` gives it. */
export interface PushSubscriptionJson {
  endpoint: string;
  expirationTime?: number | null;
  keys: { p256dh: string; auth: string };
}

export interface ReceivedPush {
  subscriptionId: string;
  /** The decrypted payload, parsed as JSON (the raw text in `text`). */
  payload: unknown;
  text: string;
  /** The verified VAPID JWT's claims (aud, exp, sub). */
  vapid: { aud: string; exp: number; sub: string; publicKey: string };
  ttl: number | null;
  urgency: string | null;
  receivedAt: Date;
}

interface Subscription {
  id: string;
  ecdh: ECDH;
  authSecret: Buffer;
  gone: boolean;
}

const b64url = (b: Buffer): string => b.toString('base64url');

/**
 * A real Web Push endpoint on loopback, like a browser vendor's push service: it hands out
 * subscriptions with real keys (ECDH P-256 + 16-byte auth secret, as a browser makes them), checks
 * each POST's VAPID `Authorization: vapid t=<jwt>, k=<key>` (ES256 signature, audience, expiry),
 * decrypts the aes128gcm body (RFC 8291) and keeps the messages for tests to read. A request it
 * cannot verify or decrypt is answered 400/401/403 and recorded in `rejected`.
 */
export class PushEndpoint {
  readonly messages: ReceivedPush[] = [];
  readonly rejected: { subscriptionId: string; status: number; reason: string }[] = [];
  /** Every request's status, in order (including failures the test asked for). */
  readonly requests: { subscriptionId: string; status: number }[] = [];
  private readonly subs = new Map<string, Subscription>();
  private server?: Server;
  private port = 0;
  private failNext = 0;
  private failStatus = 500;
  private waiters: (() => void)[] = [];
  /** When set, only JWTs signed by this VAPID public key (base64url) are accepted. */
  expectedPublicKey?: string;

  async start(port = 0): Promise<number> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(port, '127.0.0.1', () => resolve());
    });
    this.port = (this.server.address() as AddressInfo).port;
    return this.port;
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
    this.server = undefined;
  }

  get origin(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** A new subscription, as the browser's `pushManager.subscribe()` would give it. */
  subscribe(): PushSubscriptionJson & { id: string } {
    const id = randomUUID();
    const ecdh = createECDH('prime256v1');
    ecdh.generateKeys();
    const authSecret = randomBytes(16);
    this.subs.set(id, { id, ecdh, authSecret, gone: false });
    return { id, endpoint: `${this.origin}/push/${id}`, expirationTime: null, keys: { p256dh: b64url(ecdh.getPublicKey()), auth: b64url(authSecret) } };
  }

  /** From now on the subscription answers 410 Gone (the user unsubscribed). */
  expire(subscriptionId: string): void {
    const s = this.subs.get(subscriptionId);
    if (s) s.gone = true;
  }

  /** The next `n` requests (any subscription) are answered `status` (default 500) without reading them. */
  failNextRequests(n: number, status = 500): void {
    this.failNext = n;
    this.failStatus = status;
  }

  for(subscriptionId: string): ReceivedPush[] {
    return this.messages.filter((m) => m.subscriptionId === subscriptionId);
  }

  /** Resolves once `count` messages reached the subscription (waiting up to timeoutMs). */
  async waitFor(subscriptionId: string, count = 1, timeoutMs = 10_000): Promise<ReceivedPush[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.for(subscriptionId).length < count) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`push endpoint: ${this.for(subscriptionId).length}/${count} messages for ${subscriptionId} after ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 200));
        this.waiters.push(() => { clearTimeout(t); resolve(); });
      });
    }
    return this.for(subscriptionId);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    const m = /^\/push\/([0-9a-f-]{36})$/.exec(req.url ?? '');
    const id = m?.[1] ?? '';
    const answer = (status: number, reason?: string) => {
      this.requests.push({ subscriptionId: id, status });
      if (reason) this.rejected.push({ subscriptionId: id, status, reason });
      res.writeHead(status, { 'content-type': 'text/plain' }).end(reason ?? '');
    };
    if (req.method !== 'POST' || !m) return answer(404, 'no such endpoint');
    const sub = this.subs.get(id);
    if (!sub) return answer(404, 'no such subscription');
    if (this.failNext > 0) {
      this.failNext--;
      return answer(this.failStatus, `failing on purpose (${this.failStatus})`);
    }
    if (sub.gone) return answer(410, 'subscription expired');
    let vapid: ReceivedPush['vapid'];
    try {
      vapid = this.verifyVapid(String(req.headers.authorization ?? ''));
    } catch (err) {
      return answer(401, `vapid: ${(err as Error).message}`);
    }
    if (req.headers['content-encoding'] !== 'aes128gcm') return answer(400, 'content-encoding must be aes128gcm');
    let text: string;
    try {
      text = ece.decrypt(body, { version: 'aes128gcm', privateKey: sub.ecdh, authSecret: b64url(sub.authSecret) }).toString('utf8');
    } catch (err) {
      return answer(400, `decrypt: ${(err as Error).message}`);
    }
    let payload: unknown = text;
    try { payload = JSON.parse(text); } catch { /* keep the text */ }
    this.messages.push({
      subscriptionId: id, payload, text, vapid,
      ttl: req.headers.ttl !== undefined ? Number(req.headers.ttl) : null,
      urgency: typeof req.headers.urgency === 'string' ? req.headers.urgency : null,
      receivedAt: new Date(),
    });
    answer(201);
    this.waiters.splice(0).forEach((w) => w());
  }

  /** `vapid t=<jwt>, k=<uncompressed P-256 public key, base64url>` (RFC 8292). */
  private verifyVapid(header: string): ReceivedPush['vapid'] {
    const m = /^vapid t=([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+),\s*k=([A-Za-z0-9_-]+)$/.exec(header);
    if (!m) throw new Error('Authorization is not "vapid t=..., k=..."');
    const [, jwt, k] = m;
    if (this.expectedPublicKey && k !== this.expectedPublicKey) throw new Error('unexpected VAPID public key');
    const point = Buffer.from(k!, 'base64url');
    if (point.length !== 65 || point[0] !== 4) throw new Error('k is not an uncompressed P-256 point');
    const key = createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: b64url(point.subarray(1, 33)), y: b64url(point.subarray(33)) }, format: 'jwk' });
    const [h, p, s] = jwt!.split('.');
    const head = JSON.parse(Buffer.from(h!, 'base64url').toString('utf8')) as { alg?: string; typ?: string };
    if (head.alg !== 'ES256') throw new Error(`alg ${head.alg} is not ES256`);
    const ok = verify('sha256', Buffer.from(`${h}.${p}`), { key, dsaEncoding: 'ieee-p1363' }, Buffer.from(s!, 'base64url'));
    if (!ok) throw new Error('bad JWT signature');
    const claims = JSON.parse(Buffer.from(p!, 'base64url').toString('utf8')) as { aud?: string; exp?: number; sub?: string };
    if (claims.aud !== this.origin) throw new Error(`aud ${claims.aud} is not ${this.origin}`);
    const now = Math.floor(Date.now() / 1000);
    if (typeof claims.exp !== 'number' || claims.exp <= now || claims.exp > now + 24 * 3600) throw new Error('exp missing, past or more than 24 h away');
    if (typeof claims.sub !== 'string' || !/^(mailto:|https:)/.test(claims.sub)) throw new Error('sub must be a mailto: or https: URL');
    return { aud: claims.aud, exp: claims.exp, sub: claims.sub, publicKey: k! };
  }
}
