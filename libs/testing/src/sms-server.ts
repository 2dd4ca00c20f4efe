import { createHmac, randomBytes } from 'node:crypto';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A message the fake accepted, as Twilio would hold it. */
export interface FakeSmsMessage {
  sid: string;
  accountSid: string;
  to: string;
  from: string | null;
  messagingServiceSid: string | null;
  body: string;
  statusCallback: string | null;
  status: 'queued';
  receivedAt: Date;
}

/** A message's end as the fake's status callbacks tell it: delivered, or undelivered/failed with Twilio's error code. */
export type FakeSmsOutcome = { status: 'delivered' } | { status: 'undelivered' | 'failed'; errorCode: number };

/** One status callback the fake posted, and what the receiver answered (0: no answer). */
export interface FakeSmsCallback {
  sid: string;
  url: string;
  status: string;
  params: Record<string, string>;
  answer: number;
  at: Date;
}

/** What the next requests answer instead of accepting (e.g. `{ status: 500 }`, `{ status: 400, code: 21211 }`). */
export interface FakeSmsFailure {
  status: number;
  /** Twilio's error code (https://www.twilio.com/docs/api/errors). */
  code?: number;
  message?: string;
}

const E164 = /^\+[1-9]\d{6,14}$/;
/** Twilio's magic `To` numbers for test credentials, answered as Twilio answers them. */
export const FAKE_SMS_MAGIC_NUMBERS = {
  invalid: '+15005550001', // 21211 invalid 'To' number
  unsubscribed: '+15005550004', // 21610 the recipient replied STOP
  notMobile: '+15005550009', // 21614 not a mobile number
} as const;
const MAGIC: Record<string, [number, string]> = {
  [FAKE_SMS_MAGIC_NUMBERS.invalid]: [21211, "The 'To' number %s is not a valid phone number."],
  [FAKE_SMS_MAGIC_NUMBERS.unsubscribed]: [21610, 'Attempt to send to unsubscribed recipient %s'],
  [FAKE_SMS_MAGIC_NUMBERS.notMobile]: [21614, "'To' number %s is not a valid mobile number"],
};
const MAX_BODY = 1600;

/**
 * A local fake of Twilio's Messages API (2010-04-01) on loopback, for tests and local runs:
 * `POST /2010-04-01/Accounts/{AccountSid}/Messages.json`, HTTP Basic auth (account sid and auth
 * token) checked, the form-encoded body validated like Twilio (`To` E.164, `From` E.164 or a
 * `MessagingServiceSid`, `Body` 1–1600 characters), answered with Twilio-shaped JSON (`sid`
 * `SM…`, `status: queued`) or Twilio's error JSON (`{ code, message, more_info, status }`).
 * Twilio's magic test numbers (`FAKE_SMS_MAGIC_NUMBERS`) are refused as Twilio refuses them.
 * Accepted messages are kept in `messages`; `failNext(n, failure)` makes the next n requests fail.
 * Point the `twilio` SDK at `baseUrl` (see TwilioSmsSender's apiBase).
 *
 * Status callbacks, as Twilio sends them: a message created with a `StatusCallback` URL gets a
 * form-encoded POST there for `sent`, then for its end (`delivered` by default; `outcomeFor(number,
 * …)` makes a number's messages `undelivered`/`failed` with an error code), each signed in
 * `X-Twilio-Signature` with the auth token: base64 HMAC-SHA1 of the URL followed by every parameter's
 * name and value, sorted by name (https://www.twilio.com/docs/usage/webhooks/webhooks-security).
 * Written here from that description, not with the SDK, so a test of our SDK-based check is not the
 * SDK agreeing with itself. `autoCallbacks = false` stops them; `postStatus` sends one by hand (late,
 * repeated, forged). What each callback got back is in `callbacks`.
 */
export class FakeSmsServer {
  readonly accountSid = `AC${randomBytes(16).toString('hex')}`;
  readonly authToken = randomBytes(16).toString('hex');
  readonly from = '+15005550006';
  readonly messages: FakeSmsMessage[] = [];
  /** Every request that reached the Messages route, accepted or not. */
  requests = 0;
  /** Every status callback posted, in order, with the receiver's answer. */
  readonly callbacks: FakeSmsCallback[] = [];
  /** Post `sent` and the final status to a message's StatusCallback on their own (default). */
  autoCallbacks = true;
  private server: Server | null = null;
  private failures: FakeSmsFailure[] = [];
  private readonly outcomes = new Map<string, FakeSmsOutcome>();
  private readonly pending = new Set<Promise<void>>();

  get baseUrl(): string {
    const port = (this.server?.address() as AddressInfo | null)?.port;
    if (!port) throw new Error('FakeSmsServer is not started');
    return `http://127.0.0.1:${port}`;
  }

  async start(port = 0): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', () => resolve()));
    return this;
  }

  async stop(): Promise<void> {
    await Promise.allSettled([...this.pending]);
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
    this.server = null;
  }

  /** The next `n` requests (authenticated and well-formed or not) answer `failure`. */
  failNext(n: number, failure: FakeSmsFailure): void {
    for (let i = 0; i < n; i += 1) this.failures.push(failure);
  }

  /** Forgets messages, callbacks, counters, outcomes and pending failures. */
  reset(): void {
    this.messages.length = 0;
    this.callbacks.length = 0;
    this.failures = [];
    this.outcomes.clear();
    this.requests = 0;
  }

  /** How messages to `number` end in their status callbacks from now on (default: delivered). */
  outcomeFor(number: string, outcome: FakeSmsOutcome): void {
    this.outcomes.set(number, outcome);
  }

  /** Callbacks posted for one message. */
  callbacksOf(sid: string): FakeSmsCallback[] {
    return this.callbacks.filter((c) => c.sid === sid);
  }

  /**
   * Posts one status callback for a message the fake accepted, as Twilio would (or not: `signature`
   * replaces the real one, `authToken` signs with another token, `url` posts elsewhere). Resolves to
   * the receiver's HTTP status (0 when it did not answer).
   */
  async postStatus(
    sid: string,
    status: string,
    opts: { errorCode?: number; signature?: string; authToken?: string; url?: string; extra?: Record<string, string> } = {},
  ): Promise<number> {
    const m = this.messages.find((x) => x.sid === sid);
    const url = opts.url ?? m?.statusCallback;
    if (!url) throw new Error(`FakeSmsServer: no status callback URL for ${sid}`);
    const params: Record<string, string> = {
      AccountSid: this.accountSid, ApiVersion: '2010-04-01', MessageSid: sid, MessageStatus: status, SmsSid: sid, SmsStatus: status,
      To: m?.to ?? '+15005550006', From: m?.from ?? this.from,
      ...(m?.messagingServiceSid ? { MessagingServiceSid: m.messagingServiceSid } : {}),
      ...(opts.errorCode !== undefined ? { ErrorCode: String(opts.errorCode) } : {}),
      ...(opts.extra ?? {}),
    };
    const signature = opts.signature ?? twilioSignature(opts.authToken ?? this.authToken, url, params);
    let answer = 0;
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8', 'x-twilio-signature': signature, 'user-agent': 'TwilioProxy/1.1' },
        body: new URLSearchParams(params).toString(),
        signal: AbortSignal.timeout(10_000),
      });
      answer = res.status;
      await res.arrayBuffer().catch(() => undefined);
    } catch {
      answer = 0;
    }
    this.callbacks.push({ sid, url, status, params, answer, at: new Date() });
    return answer;
  }

  /** `sent`, then the message's end, each after the previous one was answered (Twilio's order). */
  private scheduleCallbacks(m: FakeSmsMessage): void {
    if (!this.autoCallbacks || !m.statusCallback) return;
    const outcome = this.outcomes.get(m.to) ?? { status: 'delivered' as const };
    const run = (async () => {
      await new Promise((r) => setTimeout(r, 20));
      await this.postStatus(m.sid, 'sent');
      await new Promise((r) => setTimeout(r, 20));
      await this.postStatus(m.sid, outcome.status, outcome.status === 'delivered' ? {} : { errorCode: outcome.errorCode });
    })();
    this.pending.add(run);
    void run.finally(() => this.pending.delete(run));
  }

  /** Messages sent to one number. */
  to(number: string): FakeSmsMessage[] {
    return this.messages.filter((m) => m.to === number);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const url = new URL(req.url ?? '/', 'http://localhost');
    const m = /^\/2010-04-01\/Accounts\/([^/]+)\/Messages\.json$/.exec(url.pathname);
    if (!m || req.method !== 'POST') return error(res, 404, 20404, 'The requested resource was not found');
    this.requests += 1;
    const failure = this.failures.shift();
    if (failure) return error(res, failure.status, failure.code ?? failure.status * 100, failure.message ?? `Fake failure ${failure.status}`);
    const [user, pass] = basicAuth(req.headers.authorization);
    if (user !== this.accountSid || pass !== this.authToken) return error(res, 401, 20003, 'Authenticate');
    if (m[1] !== this.accountSid) return error(res, 404, 20404, 'The requested resource was not found');
    if (!/^application\/x-www-form-urlencoded/.test(req.headers['content-type'] ?? '')) return error(res, 400, 21601, 'Content-Type must be form-encoded');
    const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
    const to = form.get('To') ?? '';
    const from = form.get('From');
    const service = form.get('MessagingServiceSid');
    const body = form.get('Body') ?? '';
    if (!to) return error(res, 400, 21604, "A 'To' phone number is required.");
    if (!E164.test(to)) return error(res, 400, 21211, `The 'To' number ${to} is not a valid phone number.`);
    if (MAGIC[to]) return error(res, 400, MAGIC[to][0], MAGIC[to][1].replace('%s', to));
    if (!from && !service) return error(res, 400, 21603, "A 'From' phone number is required.");
    if (from && !E164.test(from)) return error(res, 400, 21212, `The 'From' number ${from} is not a valid phone number.`);
    if (service && !/^MG[0-9a-f]{32}$/.test(service)) return error(res, 400, 21701, 'The Messaging Service Sid is invalid.');
    if (!body) return error(res, 400, 21602, 'Message body is required.');
    if ([...body].length > MAX_BODY) return error(res, 400, 21617, 'The concatenated message body exceeds the 1600 character limit.');
    const msg: FakeSmsMessage = {
      sid: `SM${randomBytes(16).toString('hex')}`, accountSid: this.accountSid, to, from: from ?? null, messagingServiceSid: service ?? null,
      body, statusCallback: form.get('StatusCallback'), status: 'queued', receivedAt: new Date(),
    };
    this.messages.push(msg);
    this.scheduleCallbacks(msg);
    const now = msg.receivedAt.toUTCString();
    send(res, 201, {
      sid: msg.sid, account_sid: msg.accountSid, to: msg.to, from: msg.from, messaging_service_sid: msg.messagingServiceSid, body: msg.body,
      status: msg.status, num_segments: String(Math.ceil([...body].length / 153) || 1), direction: 'outbound-api', api_version: '2010-04-01',
      date_created: now, date_updated: now, date_sent: null, price: null, price_unit: 'USD', error_code: null, error_message: null,
      uri: `/2010-04-01/Accounts/${msg.accountSid}/Messages/${msg.sid}.json`, subresource_uris: {},
    });
  }
}

/**
 * Twilio's request signature (X-Twilio-Signature): base64 of HMAC-SHA1, keyed with the auth token,
 * over the full URL followed by each POST parameter's name and value, sorted by name.
 */
export function twilioSignature(authToken: string, url: string, params: Record<string, string>): string {
  const data = Object.keys(params).sort().reduce((acc, k) => acc + k + params[k], url);
  return createHmac('sha1', authToken).update(Buffer.from(data, 'utf8')).digest('base64');
}

function basicAuth(header: string | undefined): [string, string] {
  const m = /^Basic (.+)$/i.exec(header ?? '');
  if (!m) return ['', ''];
  const text = Buffer.from(m[1], 'base64').toString('utf8');
  const i = text.indexOf(':');
  return i < 0 ? [text, ''] : [text.slice(0, i), text.slice(i + 1)];
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

function error(res: ServerResponse, status: number, code: number, message: string): void {
  send(res, status, { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status });
}
