import { HttpStatus } from '@nestjs/common';
import { DomainException } from '@tally/service-kit';

export enum IdempotencyExceptionCode {
  KeyRequired = 'IDEMPOTENCY_KEY_REQUIRED',
  KeyInvalid = 'IDEMPOTENCY_KEY_INVALID',
  KeyReused = 'IDEMPOTENCY_KEY_REUSED',
  KeyInUse = 'IDEMPOTENCY_KEY_IN_USE',
}

const C = IdempotencyExceptionCode;

export const IdempotencyErrors = {
  required: () =>
    new DomainException(C.KeyRequired, 'This request moves money: send an Idempotency-Key header (1 to 255 printable ASCII characters, e.g. a UUID) and reuse it when retrying.', HttpStatus.BAD_REQUEST),
  invalid: () => new DomainException(C.KeyInvalid, 'Idempotency-Key must be 1 to 255 printable ASCII characters.', HttpStatus.BAD_REQUEST),
  reused: () =>
    new DomainException(C.KeyReused, 'This Idempotency-Key was already used for another request (another path or body) in the last 24 hours; use a new key for a new request.', HttpStatus.UNPROCESSABLE_ENTITY),
  inUse: () =>
    new DomainException(C.KeyInUse, 'A request with this Idempotency-Key is still being processed; retry in a moment.', HttpStatus.CONFLICT),
};
