import { createHash, createHmac, randomBytes } from 'node:crypto';
import { IncomingMessage, Server, ServerResponse, createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * What the next PaymentIntent created does:
 * - `succeed`: answered `processing`; then `payment_intent.processing` and `payment_intent.succeeded` are sent;
 * - `fail`: answered `processing`; then `payment_intent.processing` and `payment_intent.payment_failed`;
 * - `hold`: answered `processing`; `payment_intent.processing` only — the test ends it (`succeed(id)`, `fail(id)`, ...);
 * - `succeed-now`: answered `succeeded` (a card that needs no wait); `payment_intent.succeeded` is sent;
 * - `decline`: a 402 `card_error` (card_declined / insufficient_funds), no intent.
 */
export type IntentOutcome = 'succeed' | 'fail' | 'hold' | 'succeed-now' | 'decline';

export interface LocalStripeServerOptions {
  /** The webhook endpoint's signing secret; random `whsec_...` by default. */
  webhookSecret?: string;
  /** Where events are posted (the gateway's /webhooks/stripe); settable later. None: events are only recorded. */
  webhookUrl?: string;
  /** The secret key requests must bear (`Authorization: Bearer ...`); any key when unset. */
  apiKey?: string;
  /** Milliseconds between an intent's events (processing, then succeeded), default 50. */
  eventGapMs?: number;
  /** Attempts per automatic delivery (Stripe retries non-2xx answers), default 3, 200 ms apart and doubling. */
  deliveryAttempts?: number;
}

/** A Stripe event as Stripe posts it. */
export interface StripeEventJson {
  id: string;
  object: 'event';
  api_version: string;
  created: number;
  data: { object: Record<string, unknown> };
  livemode: false;
  pending_webhooks: number;
  request: { id: string | null; idempotency_key: string | null };
  type: string;
}

export interface WebhookDelivery {
  eventId: string;
  type: string;
  /** HTTP status, or 0 when the endpoint could not be reached. */
  status: number;
  body: string;
  at: Date;
}

export interface RecordedRequest {
  method: string;
  path: string;
  idempotencyKey: string | null;
  params: Record<string, unknown>;
  status: number;
}

interface StoredAnswer {
  paramsHash: string;
  status: number;
  body: string;
}

const API_VERSION = '2026-01-28.clover';

/**
 * A real HTTP server on 127.0.0.1 (random port) speaking the subset of Stripe's API that
 * payment-service's Stripe adapter uses, with the official SDK pointed at it (STRIPE_API_BASE):
 * - `POST /v1/payment_intents` (form-encoded, `Idempotency-Key` honoured: the same key and
 *   parameters answer the first answer again with `Idempotent-Replayed: true`; the same key with other
 *   parameters is a 400 `idempotency_error`, as Stripe does);
 * - `GET /v1/payment_intents/:id`.
 * It posts events to `webhookUrl` signed exactly as Stripe signs them
 * (`Stripe-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(webhookSecret, t + "." + body)>`), and keeps
 * every event it made (`events`) and every delivery (`deliveries`), so tests can replay, forge or
 * delay them. `down = true` answers every API request 503; `close()` refuses connections.
 */
export class LocalStripeServer {
  readonly webhookSecret: string;
  webhookUrl: string | undefined;
  /** What each new intent does until changed. */
  nextIntent: IntentOutcome = 'succeed';
  /** Post events as they happen; when false they are only recorded (send them with `deliver`). */
  autoDeliver = true;
  /** Every API request answers 503 (`api_error`) while true. */
  down = false;
  readonly intents = new Map<string, Record<string, unknown>>();
  readonly events: StripeEventJson[] = [];
  readonly deliveries: WebhookDelivery[] = [];
  readonly requests: RecordedRequest[] = [];
  private readonly answers = new Map<string, StoredAnswer>();
  private readonly sockets = new Set<Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private server?: Server;
  private port = 0;

  constructor(private readonly opts: LocalStripeServerOptions = {}) {
    this.webhookSecret = opts.webhookSecret ?? `whsec_${randomBytes(24).toString('hex')}`;
    this.webhookUrl = opts.webhookUrl;
  }

  static async start(opts: LocalStripeServerOptions = {}): Promise<LocalStripeServer> {
    const s = new LocalStripeServer(opts);
    await s.listen();
    return s;
  }

  /** The API base for STRIPE_API_BASE, e.g. http://127.0.0.1:41234. */
  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async listen(port = 0): Promise<void> {
    const server = createServer((req, res) => void this.handle(req, res));
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
  }

  /** Stops listening (connections are refused from now on) and drops open ones; pending deliveries are cancelled. */
  async close(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** The `Stripe-Signature` header of `payload`, as Stripe computes it (another secret or time for forgeries). */
  sign(payload: string, opts: { timestamp?: number; secret?: string } = {}): string {
    const t = opts.timestamp ?? Math.floor(Date.now() / 1000);
    const v1 = createHmac('sha256', opts.secret ?? this.webhookSecret).update(`${t}.${payload}`, 'utf8').digest('hex');
    return `t=${t},v1=${v1}`;
  }

  /** The events about one intent, oldest first. */
  eventsFor(intentId: string): StripeEventJson[] {
    return this.events.filter((e) => (e.data.object.id ?? e.data.object.payment_intent) === intentId);
  }

  /** Posts a recorded event (by id) to the webhook URL, freshly signed unless told otherwise. Returns the delivery. */
  async deliver(eventId: string, opts: { timestamp?: number; secret?: string; url?: string } = {}): Promise<WebhookDelivery> {
    const event = this.events.find((e) => e.id === eventId);
    if (!event) throw new Error(`no event ${eventId}`);
    return this.resend(event, opts);
  }

  /** Posts any event object as Stripe would (the body is `JSON.stringify(event)`, signed over exactly those bytes). */
  async resend(event: StripeEventJson | Record<string, unknown>, opts: { timestamp?: number; secret?: string; url?: string; body?: string } = {}): Promise<WebhookDelivery> {
    const url = opts.url ?? this.webhookUrl;
    if (!url) throw new Error('LocalStripeServer: no webhookUrl to deliver to');
    const body = opts.body ?? JSON.stringify(event);
    const e = event as { id?: unknown; type?: unknown };
    let delivery: WebhookDelivery;
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json; charset=utf-8',
          'stripe-signature': this.sign(body, opts),
          'user-agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
        },
        body,
        signal: AbortSignal.timeout(10_000),
      });
      delivery = { eventId: String(e.id), type: String(e.type), status: res.status, body: await res.text(), at: new Date() };
    } catch (err) {
      delivery = { eventId: String(e.id), type: String(e.type), status: 0, body: (err as Error).message, at: new Date() };
    }
    this.deliveries.push(delivery);
    return delivery;
  }

  /** Ends a held (or processing) intent as succeeded: `payment_intent.succeeded` is recorded and sent. */
  succeed(intentId: string): StripeEventJson {
    const pi = this.intent(intentId);
    Object.assign(pi, { status: 'succeeded', latest_charge: `ch_${randomBytes(12).toString('hex')}`, amount_received: pi.amount, last_payment_error: null });
    return this.emit('payment_intent.succeeded', pi);
  }

  /** Ends an intent as failed (`requires_payment_method` with last_payment_error): `payment_intent.payment_failed`. */
  fail(intentId: string, error: { code?: string; decline_code?: string; message?: string } = {}): StripeEventJson {
    const pi = this.intent(intentId);
    Object.assign(pi, {
      status: 'requires_payment_method',
      last_payment_error: { type: 'card_error', code: error.code ?? 'card_declined', decline_code: error.decline_code ?? 'insufficient_funds', message: error.message ?? 'Your card has insufficient funds.' },
    });
    return this.emit('payment_intent.payment_failed', pi);
  }

  /** Cancels an intent: `payment_intent.canceled`. */
  cancel(intentId: string, reason = 'requested_by_customer'): StripeEventJson {
    const pi = this.intent(intentId);
    Object.assign(pi, { status: 'canceled', cancellation_reason: reason, canceled_at: Math.floor(Date.now() / 1000) });
    return this.emit('payment_intent.canceled', pi);
  }

  /** Refunds a succeeded intent's charge in full (or `amount` of it): `charge.refunded`. */
  refund(intentId: string, amount?: number): StripeEventJson {
    const pi = this.intent(intentId);
    const total = Number(pi.amount);
    const refunded = amount ?? total;
    const charge = {
      id: typeof pi.latest_charge === 'string' ? pi.latest_charge : `ch_${randomBytes(12).toString('hex')}`,
      object: 'charge', amount: total, amount_refunded: refunded, currency: pi.currency, payment_intent: pi.id,
      refunded: refunded >= total, status: 'succeeded', metadata: {}, created: Math.floor(Date.now() / 1000),
    };
    return this.emit('charge.refunded', charge);
  }

  /** Records an event of any type about an object (and sends it when autoDeliver is on). */
  emit(type: string, object: Record<string, unknown>, request: { id: string | null; idempotency_key: string | null } = { id: null, idempotency_key: null }): StripeEventJson {
    const event: StripeEventJson = {
      id: `evt_${randomBytes(12).toString('hex')}`,
      object: 'event',
      api_version: API_VERSION,
      created: Math.floor(Date.now() / 1000),
      data: { object: structuredClone(object) },
      livemode: false,
      pending_webhooks: 1,
      request,
      type,
    };
    this.events.push(event);
    if (this.autoDeliver && this.webhookUrl) this.later(0, () => this.deliverWithRetries(event, 1));
    return event;
  }

  // ---- HTTP API -----------------------------------------------------------------------------

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const path = (req.url ?? '/').split('?')[0];
    const method = req.method ?? 'GET';
    const idempotencyKey = typeof req.headers['idempotency-key'] === 'string' ? req.headers['idempotency-key'] : null;
    const params = parseForm(raw);
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      const text = typeof body === 'string' ? body : JSON.stringify(body);
      this.requests.push({ method, path, idempotencyKey, params, status });
      res.writeHead(status, { 'content-type': 'application/json', 'request-id': `req_${randomBytes(8).toString('hex')}`, ...headers });
      res.end(text);
    };

    if (this.down) return send(503, stripeError('api_error', 'The local Stripe server is down (test).'));
    if (this.opts.apiKey && req.headers.authorization !== `Bearer ${this.opts.apiKey}`) {
      return send(401, stripeError('invalid_request_error', 'Invalid API Key provided.'));
    }

    if (method === 'POST' && path === '/v1/payment_intents') {
      const paramsHash = createHash('sha256').update(raw).digest('hex');
      if (idempotencyKey) {
        const stored = this.answers.get(idempotencyKey);
        if (stored) {
          if (stored.paramsHash !== paramsHash) {
            return send(400, stripeError('idempotency_error', `Keys for idempotent requests can only be used with the same parameters they were first used with.`));
          }
          return send(stored.status, stored.body, { 'idempotent-replayed': 'true' });
        }
      }
      const [status, body] = this.createIntent(params, idempotencyKey);
      const text = JSON.stringify(body);
      if (idempotencyKey) this.answers.set(idempotencyKey, { paramsHash, status, body: text });
      return send(status, text);
    }
    const m = /^\/v1\/payment_intents\/([A-Za-z0-9_]+)$/.exec(path);
    if (method === 'GET' && m) {
      const pi = this.intents.get(m[1]);
      return pi ? send(200, pi) : send(404, stripeError('invalid_request_error', `No such payment_intent: '${m[1]}'`, { code: 'resource_missing', param: 'intent' }));
    }
    return send(404, stripeError('invalid_request_error', `Unrecognized request URL (${method}: ${path}).`));
  }

  private createIntent(p: Record<string, unknown>, idempotencyKey: string | null): [number, unknown] {
    const amount = Number(p.amount);
    if (typeof p.amount !== 'string' || !/^\d+$/.test(p.amount) || amount < 1) {
      return [400, stripeError('invalid_request_error', 'Invalid positive integer', { param: 'amount' })];
    }
    if (typeof p.currency !== 'string' || !/^[a-z]{3}$/.test(p.currency)) {
      return [400, stripeError('invalid_request_error', 'Invalid currency', { param: 'currency' })];
    }
    if (p.confirm === 'true' && typeof p.payment_method !== 'string') {
      return [400, stripeError('invalid_request_error', 'You must provide a payment_method to confirm.', { param: 'payment_method' })];
    }
    const outcome = this.nextIntent;
    if (outcome === 'decline') {
      return [402, stripeError('card_error', 'Your card has insufficient funds.', { code: 'card_declined', decline_code: 'insufficient_funds', param: '' })];
    }
    const id = `pi_${randomBytes(12).toString('hex')}`;
    const now = Math.floor(Date.now() / 1000);
    const pi: Record<string, unknown> = {
      id, object: 'payment_intent', amount, amount_received: 0, currency: p.currency, created: now, livemode: false,
      confirmation_method: 'automatic', capture_method: 'automatic', customer: p.customer ?? null, payment_method: p.payment_method ?? null,
      metadata: typeof p.metadata === 'object' && p.metadata ? p.metadata : {}, last_payment_error: null, latest_charge: null,
      cancellation_reason: null, canceled_at: null, client_secret: `${id}_secret_${randomBytes(8).toString('hex')}`,
      status: outcome === 'succeed-now' ? 'succeeded' : 'processing',
    };
    if (outcome === 'succeed-now') pi.latest_charge = `ch_${randomBytes(12).toString('hex')}`;
    this.intents.set(id, pi);
    const request = { id: `req_${randomBytes(8).toString('hex')}`, idempotency_key: idempotencyKey };
    const gap = this.opts.eventGapMs ?? 50;
    this.emit('payment_intent.created', { ...pi, status: 'requires_confirmation' }, request);
    if (outcome === 'succeed-now') {
      this.emit('payment_intent.succeeded', pi, request);
    } else {
      this.emit('payment_intent.processing', pi, request);
      if (outcome === 'succeed') this.later(gap, () => void this.succeed(id));
      if (outcome === 'fail') this.later(gap, () => void this.fail(id));
    }
    return [200, pi];
  }

  private intent(id: string): Record<string, unknown> {
    const pi = this.intents.get(id);
    if (!pi) throw new Error(`no payment intent ${id}`);
    return pi;
  }

  private async deliverWithRetries(event: StripeEventJson, attempt: number): Promise<void> {
    const d = await this.resend(event);
    if (d.status >= 200 && d.status < 300) return;
    if (attempt >= (this.opts.deliveryAttempts ?? 3)) return;
    this.later(200 * 2 ** (attempt - 1), () => this.deliverWithRetries(event, attempt + 1));
  }

  private later(ms: number, fn: () => unknown): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      void Promise.resolve().then(fn).catch(() => undefined);
    }, ms);
    t.unref();
    this.timers.add(t);
  }
}

function stripeError(type: string, message: string, extra: Record<string, unknown> = {}) {
  return { error: { type, message, ...extra } };
}

/** Stripe's form encoding: `a=1&metadata[k]=v&automatic_payment_methods[enabled]=true` (one level of brackets is all the adapter sends). */
export function parseForm(raw: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of new URLSearchParams(raw)) {
    const m = /^([^[\]]+)\[([^[\]]*)\]$/.exec(key);
    if (m) {
      const inner = (out[m[1]] ??= {}) as Record<string, string>;
      if (typeof inner === 'object') inner[m[2]] = value;
    } else {
      out[key] = value;
    }
  }
  return out;
}
