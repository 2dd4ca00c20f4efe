import { HttpStatus } from '@nestjs/common';
import { DomainException } from '@tally/service-kit';
import type { WebhookRejection } from '../providers/payment-provider';

/** Webhooks' errors, one stable code each (problem+json `code`). */
export const WebhookErrors = {
  /** An unknown provider, or one not enabled here. */
  providerNotFound: () => new DomainException('WEBHOOK_PROVIDER_NOT_FOUND', 'No such webhook endpoint.', HttpStatus.NOT_FOUND),
  /** Missing, forged or stale signature, or a body that is not the provider's event: nothing is stored. */
  rejected: (reason: WebhookRejection, message: string) =>
    new DomainException(reason === 'malformed' ? 'WEBHOOK_MALFORMED' : 'WEBHOOK_SIGNATURE_INVALID', message, HttpStatus.BAD_REQUEST, { reason }),
  /** Stored, but not queued: the provider delivers it again (and then it is queued). */
  queueUnavailable: () =>
    new DomainException('WEBHOOK_QUEUE_UNAVAILABLE', 'The webhook was stored but could not be queued; deliver it again.', HttpStatus.SERVICE_UNAVAILABLE),
  adminRequired: () => new DomainException('ADMIN_REQUIRED', 'Only platform admins can read or replay provider webhooks.', HttpStatus.FORBIDDEN),
  notFound: () => new DomainException('WEBHOOK_NOT_FOUND', 'Webhook not found.', HttpStatus.NOT_FOUND),
  invalidId: () => new DomainException('INVALID_ID', 'id must be a UUID.', HttpStatus.BAD_REQUEST, { errors: [{ field: 'id', message: 'must be a UUID' }] }),
  notReplayable: (status: string) =>
    new DomainException('WEBHOOK_NOT_REPLAYABLE', `The webhook is ${status}; only a failed one (or one never queued) can be replayed.`, HttpStatus.CONFLICT, { webhookStatus: status }),
  busy: () => new DomainException('WEBHOOK_BEING_PROCESSED', 'The webhook is being applied right now; look again in a moment.', HttpStatus.CONFLICT),
};
