import { HttpStatus } from '@nestjs/common';
import { DomainException } from '@tally/service-kit';

/** The SMS status callback route's errors, one stable code each (problem+json `code`). */
export const SmsErrors = {
  callbacksOff: () => new DomainException('NOT_FOUND', 'Not found.', HttpStatus.NOT_FOUND),
  notAForm: () =>
    new DomainException('SMS_CALLBACK_MALFORMED', 'A status callback is a form (application/x-www-form-urlencoded) of Twilio\'s fields.', HttpStatus.BAD_REQUEST),
  malformed: (why: string) => new DomainException('SMS_CALLBACK_MALFORMED', `The status callback is malformed: ${why}.`, HttpStatus.BAD_REQUEST),
  badSignature: () =>
    new DomainException('SMS_CALLBACK_SIGNATURE_INVALID', 'X-Twilio-Signature does not match this request.', HttpStatus.FORBIDDEN),
  busy: () => new DomainException('SMS_CALLBACK_BUSY', 'The message is still being recorded; try again.', HttpStatus.SERVICE_UNAVAILABLE),
};
