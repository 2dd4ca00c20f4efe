/** One text message to one phone number. */
export interface SmsMessage {
  /** E.164, e.g. +14155550123. Personal data: never logged whole (see `maskPhone`). */
  to: string;
  body: string;
  /** Our id for it (the delivery id), for the provider's logs and status callbacks. */
  reference: string;
}

export interface SmsSent {
  /** The provider's message id (Twilio: `SM…`). */
  externalId: string;
}

/** Base of the sender's typed failures: `status` the provider's HTTP status, `code` its error code, when there were. */
export abstract class SmsError extends Error {
  constructor(message: string, readonly status?: number, readonly code?: number) {
    super(message);
    this.name = new.target.name;
  }
}
/** 429, 5xx, network, timeout: try again later. */
export class SmsRetryableError extends SmsError {}
/**
 * The provider will never deliver to this number (invalid, not a mobile, unsubscribed with STOP,
 * unreachable region): the delivery fails, no retry, no dead letter (nothing an operator can fix).
 */
export class SmsRecipientError extends SmsError {
  constructor(message: string, readonly reason: 'invalid_number' | 'unsubscribed' | 'unreachable', status?: number, code?: number) {
    super(message, status, code);
  }
}
/** Anything else the provider refuses (bad credentials, a bad From, a malformed request): retrying cannot help; dead letter at once. */
export class SmsPermanentError extends SmsError {}
/** No provider configured in this deployment: the delivery is skipped. */
export class SmsNotConfiguredError extends SmsError {}

/** The SMS channel's port. */
export interface SmsSender {
  send(message: SmsMessage): Promise<SmsSent>;
}

/** A sender for deployments without provider credentials: every delivery is skipped as `not_configured`. */
export class NotConfiguredSmsSender implements SmsSender {
  async send(_message: SmsMessage): Promise<SmsSent> {
    throw new SmsNotConfiguredError('SMS is not configured (no TWILIO_ACCOUNT_SID/TWILIO_AUTH_TOKEN)');
  }
}

/** Twilio error codes meaning this number will never receive from us (https://www.twilio.com/docs/api/errors). */
const RECIPIENT_CODES: Record<number, SmsRecipientError['reason']> = {
  21211: 'invalid_number', // invalid 'To' phone number
  21214: 'invalid_number', // 'To' number cannot be reached
  21217: 'invalid_number', // phone number does not appear to be valid
  21401: 'invalid_number', // invalid phone number
  21407: 'unreachable', // this phone number type does not support SMS
  21408: 'unreachable', // permission to send to this region is not enabled
  21612: 'unreachable', // the 'To' number is not currently reachable via SMS
  21614: 'invalid_number', // 'To' number is not a valid mobile number
  21610: 'unsubscribed', // the recipient replied STOP
};

/** Maps a provider answer (HTTP status and Twilio error code) to the typed failure. */
export function smsErrorFor(status: number | undefined, code: number | undefined, detail: string): SmsError {
  const message = `SMS provider answered ${status ?? 'no status'}${code ? ` (code ${code})` : ''}${detail ? `: ${detail.slice(0, 300)}` : ''}`;
  if (code !== undefined && RECIPIENT_CODES[code]) return new SmsRecipientError(message, RECIPIENT_CODES[code], status, code);
  if (status === undefined || status === 408 || status === 429 || status >= 500 || code === 20429) return new SmsRetryableError(message, status, code);
  return new SmsPermanentError(message, status, code);
}

/**
 * What logs and `notification_logs.recipient` may say about a number: all but its last 4 digits
 * masked (`+*******0123`). Anything too short to keep 4 digits back is masked whole.
 */
export function maskPhone(number: string): string {
  const digits = number.replace(/\D/g, '');
  if (digits.length <= 6) return '*'.repeat(Math.max(digits.length, 4));
  return `${number.startsWith('+') ? '+' : ''}${'*'.repeat(digits.length - 4)}${digits.slice(-4)}`;
}

/** Masks every phone number in a text (providers quote the number in their errors): the given one, and anything E.164-shaped. */
export function maskPhonesIn(text: string, number?: string): string {
  let out = number && number.length >= 4 ? text.split(number).join(maskPhone(number)) : text;
  out = out.replace(/\+\d[\d ().-]{5,}\d/g, (m) => (m.replace(/\D/g, '').length >= 7 ? maskPhone(m.replace(/[^\d+]/g, '')) : m));
  return out;
}
