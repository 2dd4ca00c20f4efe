import type { Logger } from 'pino';
import { NotConfiguredSmsSender, SmsSender } from './sms-sender';
import { TwilioSmsSender } from './twilio.sms-sender';

export interface SmsSettings {
  TWILIO_ACCOUNT_SID?: string;
  TWILIO_AUTH_TOKEN?: string;
  TWILIO_FROM?: string;
  TWILIO_MESSAGING_SERVICE_SID?: string;
  TWILIO_API_BASE?: string;
  TWILIO_STATUS_CALLBACK_URL?: string;
  SMS_TIMEOUT_MS: number;
}

/**
 * The worker's SMS sender from its config: Twilio when an account sid and auth token are set (with
 * exactly one of a From number and a messaging service), else one that skips every SMS delivery as
 * `not_configured`. A half-configured Twilio, or a TWILIO_API_BASE in production, stops the start.
 */
export function smsSenderFrom(c: SmsSettings, production: boolean, logger: Pick<Logger, 'info' | 'warn'>): SmsSender {
  if (!c.TWILIO_ACCOUNT_SID && !c.TWILIO_AUTH_TOKEN) {
    logger.info('SMS not configured (no TWILIO_ACCOUNT_SID/TWILIO_AUTH_TOKEN): SMS deliveries are skipped');
    return new NotConfiguredSmsSender();
  }
  if (!c.TWILIO_ACCOUNT_SID || !c.TWILIO_AUTH_TOKEN) throw new Error('SMS: set both TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN, or neither');
  if (!c.TWILIO_FROM === !c.TWILIO_MESSAGING_SERVICE_SID) throw new Error('SMS: set exactly one of TWILIO_FROM and TWILIO_MESSAGING_SERVICE_SID');
  if (c.TWILIO_API_BASE && production) throw new Error('SMS: TWILIO_API_BASE is for tests and local runs, not production');
  if (c.TWILIO_API_BASE) logger.warn({ apiBase: c.TWILIO_API_BASE }, 'SMS goes to a non-Twilio API base (a local fake)');
  return new TwilioSmsSender({
    accountSid: c.TWILIO_ACCOUNT_SID,
    authToken: c.TWILIO_AUTH_TOKEN,
    ...(c.TWILIO_FROM ? { from: c.TWILIO_FROM } : { messagingServiceSid: c.TWILIO_MESSAGING_SERVICE_SID! }),
    ...(c.TWILIO_API_BASE ? { apiBase: c.TWILIO_API_BASE } : {}),
    ...(c.TWILIO_STATUS_CALLBACK_URL ? { statusCallback: c.TWILIO_STATUS_CALLBACK_URL } : {}),
    timeoutMs: c.SMS_TIMEOUT_MS,
  });
}
