import twilio from 'twilio';
import { SmsMessage, SmsRetryableError, SmsSender, SmsSent, smsErrorFor } from './sms-sender';

export interface TwilioSmsOptions {
  accountSid: string;
  authToken: string;
  /** The sender: an E.164 number (`From`) … */
  from?: string;
  /** … or a Messaging Service (`MG…`), which picks the number itself. One of the two. */
  messagingServiceSid?: string;
  /**
   * Where the Twilio REST API is (tests and local runs: the fake `FakeSmsServer`); unset: Twilio's
   * own hosts, as the SDK builds them. Only scheme, host and port are taken.
   */
  apiBase?: string;
  /**
   * Where Twilio posts the message's status changes (our `POST /callbacks/sms/twilio` at the gateway);
   * each message's URL carries its reference as `deliveryId=`. Unset: no callbacks.
   */
  statusCallback?: string;
  /** One request's timeout; below BullMQ's 30 s job lock. */
  timeoutMs: number;
}

/**
 * The SDK's own HTTP client (axios, Basic auth, form encoding, Twilio's error parsing), pointed at
 * another origin: the SDK builds `https://api.twilio.com/2010-04-01/…` and this swaps the origin for
 * `apiBase`, keeping the path. A custom `httpClient` is the SDK's documented extension point
 * (twilio-node advanced-examples/custom-http-client.md); the SDK has no base URL option of its own
 * (only `edge`/`region`, which still resolve to twilio.com hosts).
 */
class RebasedRequestClient extends twilio.RequestClient {
  constructor(private readonly base: URL, timeoutMs: number) {
    super({ timeout: timeoutMs, autoRetry: false });
  }

  override request<TData>(opts: Parameters<InstanceType<typeof twilio.RequestClient>['request']>[0] & { data?: TData }) {
    const uri = new URL(opts.uri);
    uri.protocol = this.base.protocol;
    uri.host = this.base.host;
    return super.request<TData>({ ...opts, uri: uri.href });
  }
}

/** The status callback URL of one message: the configured one with `deliveryId=<reference>` added to its query. */
export function statusCallbackUrl(base: string, reference: string): string {
  const url = new URL(base);
  url.searchParams.set('deliveryId', reference);
  return url.href;
}

/**
 * The SMS port over Twilio's Messages API with the official `twilio` SDK:
 * `client.messages.create({ to, from | messagingServiceSid, body, statusCallback })`.
 * Twilio's answers map to the port's typed errors (`smsErrorFor`): a number Twilio will never
 * deliver to (21211 invalid, 21610 unsubscribed, 21614 not mobile…) → SmsRecipientError; 429, 5xx and
 * network errors → retryable; the rest (401 bad credentials, a bad From…) → permanent.
 */
export class TwilioSmsSender implements SmsSender {
  private readonly client: twilio.Twilio;

  constructor(private readonly opts: TwilioSmsOptions) {
    if (!opts.from === !opts.messagingServiceSid) throw new Error('TwilioSmsSender needs exactly one of from and messagingServiceSid');
    this.client = twilio(opts.accountSid, opts.authToken, {
      timeout: opts.timeoutMs,
      autoRetry: false,
      ...(opts.apiBase ? { httpClient: new RebasedRequestClient(new URL(opts.apiBase), opts.timeoutMs) } : {}),
    });
  }

  async send(message: SmsMessage): Promise<SmsSent> {
    try {
      const sent = await this.client.messages.create({
        to: message.to,
        body: message.body,
        ...(this.opts.from ? { from: this.opts.from } : { messagingServiceSid: this.opts.messagingServiceSid! }),
        ...(this.opts.statusCallback ? { statusCallback: statusCallbackUrl(this.opts.statusCallback, message.reference) } : {}),
      });
      return { externalId: sent.sid };
    } catch (err) {
      const e = err as { status?: number; code?: number | string; message?: string; response?: unknown };
      if (err instanceof twilio.RestException) return Promise.reject(smsErrorFor(e.status, typeof e.code === 'number' ? e.code : undefined, e.message ?? ''));
      // No answer (refused, reset, timeout): axios' error, no status.
      throw new SmsRetryableError(`SMS provider unreachable: ${typeof e.code === 'string' ? `${e.code} ` : ''}${e.message ?? String(err)}`);
    }
  }
}
