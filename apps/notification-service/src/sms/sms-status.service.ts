import { Injectable } from '@nestjs/common';
import { MikroORM } from '@mikro-orm/postgresql';
import twilio from 'twilio';
import { inTransaction } from '@tally/persistence';
import { ServiceRuntime } from '@tally/service-kit';
import type { NotificationServiceConfig } from '../config/notification.config';
import { SmsErrors } from './sms.exceptions';
import { callbackErrorText, formParams, readStatusCallback } from './sms-status';
import { SmsStatusOutcome, SmsStatusRepository } from './sms-status.repository';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The request as the route hands it over: the raw query string (signed with the URL), the form, the signature header. */
export interface SmsStatusRequest {
  query: string;
  contentType: string | undefined;
  body: unknown;
  signature: string | undefined;
}

/**
 * Twilio's message status callbacks (`POST /callbacks/sms/twilio`, public): checked with the twilio
 * SDK's `validateRequest` (HMAC-SHA1 of the exact URL Twilio posted to, which is our configured
 * TWILIO_STATUS_CALLBACK_URL plus the query we put in it, and the sorted form fields, keyed with the
 * auth token), then applied to the message's log row (`SmsStatusRepository`). Without
 * TWILIO_AUTH_TOKEN and TWILIO_STATUS_CALLBACK_URL the route does not exist (404).
 */
@Injectable()
export class SmsStatusService {
  private readonly authToken?: string;
  private readonly callbackUrl?: string;
  private readonly logger: ServiceRuntime['logger'];

  constructor(private readonly orm: MikroORM, private readonly statuses: SmsStatusRepository, runtime: ServiceRuntime<NotificationServiceConfig>) {
    this.authToken = runtime.config.TWILIO_AUTH_TOKEN;
    this.callbackUrl = runtime.config.TWILIO_STATUS_CALLBACK_URL;
    this.logger = runtime.logger.child({ component: 'sms-status' });
  }

  async receive(req: SmsStatusRequest): Promise<SmsStatusOutcome | 'ignored'> {
    if (!this.authToken || !this.callbackUrl) throw SmsErrors.callbacksOff();
    if (!/^application\/x-www-form-urlencoded(;|$)/i.test(req.contentType ?? '')) throw SmsErrors.notAForm();
    const params = formParams(req.body);
    if (!params) throw SmsErrors.notAForm();
    // The URL Twilio posted to: ours, with the query it carries (the worker's `deliveryId=`, and any of the configured URL's own).
    const base = this.callbackUrl.split('?')[0];
    const url = req.query ? `${base}?${req.query}` : base;
    if (!req.signature || !twilio.validateRequest(this.authToken, req.signature, url, params)) {
      this.logger.warn({ fields: Object.keys(params).slice(0, 30) }, 'sms status callback refused: bad X-Twilio-Signature');
      throw SmsErrors.badSignature();
    }
    const c = readStatusCallback(params);
    if (typeof c === 'string') throw SmsErrors.malformed(c);
    const log = this.logger.child({ sid: c.sid, providerStatus: c.providerStatus });
    if (!c.target) {
      log.info('sms status callback ignored: not an outbound message status');
      return 'ignored';
    }
    const reference = new URLSearchParams(req.query).get('deliveryId');
    const deliveryId = reference && UUID.test(reference) ? reference : null;
    let outcome: SmsStatusOutcome;
    try {
      outcome = await inTransaction(this.orm, (em) => this.statuses.apply(em, {
        sid: c.sid, deliveryId, target: c.target!, providerStatus: c.providerStatus, errorCode: c.errorCode,
        errorMessage: c.target === 'failed' ? callbackErrorText(c) : null, at: new Date(),
      }));
    } catch (err) {
      // lock_timeout: the worker still holds the delivery (a stuck send). Twilio may retry a 5xx.
      if ((err as { code?: string }).code === '55P03') throw SmsErrors.busy();
      throw err;
    }
    if (outcome === 'unknown') log.warn({ deliveryId }, 'sms status callback for a message we have no record of; ignored');
    else log.info({ outcome, deliveryId }, 'sms status callback applied');
    return outcome;
  }
}
