import { randomBytes } from 'node:crypto';
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
 */
export class FakeSmsServer {
  readonly accountSid = `AC${randomBytes(16).toString('hex')}`;
  readonly authToken = randomBytes(16).toString('hex');
  readonly from = '+15005550006';
  readonly messages: FakeSmsMessage[] = [];
  /** Every request that reached the Messages route, accepted or not. */
  requests = 0;
  private server: Server | null = null;
  private failures: FakeSmsFailure[] = [];

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
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
    this.server = null;
  }

  /** The next `n` requests (authenticated and well-formed or not) answer `failure`. */
  failNext(n: number, failure: FakeSmsFailure): void {
    for (let i = 0; i < n; i += 1) this.failures.push(failure);
  }

  /** Forgets messages, counters and pending failures. */
  reset(): void {
    this.messages.length = 0;
    this.failures = [];
    this.requests = 0;
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
    const now = msg.receivedAt.toUTCString();
    send(res, 201, {
      sid: msg.sid, account_sid: msg.accountSid, to: msg.to, from: msg.from, messaging_service_sid: msg.messagingServiceSid, body: msg.body,
      status: msg.status, num_segments: String(Math.ceil([...body].length / 153) || 1), direction: 'outbound-api', api_version: '2010-04-01',
      date_created: now, date_updated: now, date_sent: null, price: null, price_unit: 'USD', error_code: null, error_message: null,
      uri: `/2010-04-01/Accounts/${msg.accountSid}/Messages/${msg.sid}.json`, subresource_uris: {},
    });
  }
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
