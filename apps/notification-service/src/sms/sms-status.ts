import { maskPhonesIn } from './sms-sender';

/**
 * Twilio's message statuses (https://www.twilio.com/docs/messaging/api/message-resource#message-status-values)
 * and what each means for our `notification_logs` row of the message:
 * - on its way (`accepted`, `scheduled`, `queued`, `sending`, `sent`): `sent`, which the row already says;
 * - `delivered` (and `read`, which implies it): `delivered`, with `delivered_at`;
 * - `undelivered`, `failed`, `canceled`: `failed`, with Twilio's error code in `error_message`.
 * `receiving`/`received` are inbound messages' statuses: not ours, ignored.
 */
const STATUS_MEANS: Record<string, SmsLogTarget> = {
  accepted: 'sent', scheduled: 'sent', queued: 'sent', sending: 'sent', sent: 'sent',
  delivered: 'delivered', read: 'delivered', partially_delivered: 'delivered',
  undelivered: 'failed', failed: 'failed', canceled: 'failed',
};

export type SmsLogTarget = 'sent' | 'delivered' | 'failed';

/** How far along a log row is: a status only moves to a higher rank; `delivered` and `failed` are ends. */
export const SMS_LOG_RANK: Record<SmsLogTarget, number> = { sent: 1, delivered: 2, failed: 2 };

/** Twilio's delivery error codes a callback carries most often (https://www.twilio.com/docs/api/errors). */
const ERROR_TEXT: Record<number, string> = {
  30001: 'queue overflow',
  30002: 'account suspended',
  30003: 'unreachable destination handset',
  30004: 'message blocked',
  30005: 'unknown destination handset',
  30006: 'landline or unreachable carrier',
  30007: 'message filtered by the carrier',
  30008: 'unknown error',
  30034: 'message from an unregistered number',
};

const SID = /^(SM|MM)[0-9a-fA-F]{32}$/;
const STATUS = /^[a-z_]{1,40}$/;
const ERROR_CODE = /^\d{1,10}$/;

/** One status callback, read from Twilio's form fields. */
export interface SmsStatusCallback {
  /** The message's sid (`SM…`), our log row's `external_id`. */
  sid: string;
  /** Twilio's `MessageStatus` as sent (lower case). */
  providerStatus: string;
  /** What it means for the log row; null for a status that says nothing about an outbound message. */
  target: SmsLogTarget | null;
  errorCode: number | null;
}

/** Why a callback's fields are unusable (a `400`), or the callback. Extra fields (Twilio adds some over time) are fine. */
export function readStatusCallback(form: Record<string, unknown>): SmsStatusCallback | string {
  const sid = form.MessageSid ?? form.SmsSid;
  const status = form.MessageStatus ?? form.SmsStatus;
  if (typeof sid !== 'string' || !SID.test(sid)) return 'MessageSid must be a message sid (SM or MM followed by 32 hex digits)';
  if (typeof status !== 'string' || !STATUS.test(status)) return 'MessageStatus must be a Twilio message status';
  const code = form.ErrorCode;
  if (code !== undefined && code !== '' && (typeof code !== 'string' || !ERROR_CODE.test(code))) return 'ErrorCode must be a number';
  return {
    sid,
    providerStatus: status,
    target: STATUS_MEANS[status] ?? null,
    errorCode: typeof code === 'string' && code !== '' ? Number(code) : null,
  };
}

/** What a failed message's log row says: Twilio's status, error code and its meaning (numbers masked, should one appear). */
export function callbackErrorText(c: SmsStatusCallback): string {
  const code = c.errorCode ?? null;
  const meaning = code !== null && ERROR_TEXT[code] ? `: ${ERROR_TEXT[code]}` : '';
  return maskPhonesIn(`Twilio reported the message ${c.providerStatus}${code !== null ? ` (error ${code}${meaning})` : ''}`);
}

/**
 * The form fields as strings for the signature check. Fastify's form parser gives a repeated field as
 * an array: kept as one (the SDK signs each of its values); anything else is not a form.
 */
export function formParams(body: unknown): Record<string, string | string[]> | null {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return null;
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(body as Record<string, unknown>)) {
    if (typeof v === 'string') out[k] = v;
    else if (Array.isArray(v) && v.every((x) => typeof x === 'string')) out[k] = v as string[];
    else return null;
  }
  return out;
}
