import { HttpStatus } from '@nestjs/common';
import { DomainException } from '@tally/service-kit';

const field = (name: string, message: string) => ({ errors: [{ field: name, message }] });

/** Payments' errors, one stable code each (problem+json `code`). */
export const PaymentErrors = {
  /** Also for a payment the caller may not see (only the settlement's payer and payee do): existence never leaks. */
  notFound: () => new DomainException('PAYMENT_NOT_FOUND', 'Payment not found.', HttpStatus.NOT_FOUND),
  invalidId: (name = 'id') => new DomainException('INVALID_ID', `${name} must be a UUID.`, HttpStatus.BAD_REQUEST, field(name, 'must be a UUID')),
  providerNotAvailable: (name: string) =>
    new DomainException('PROVIDER_NOT_AVAILABLE', `Payments through ${name} are not available here.`, HttpStatus.UNPROCESSABLE_ENTITY, field('provider', 'not enabled')),
  paymentInProgress: () =>
    new DomainException('PAYMENT_IN_PROGRESS', 'A payment for this settlement is already pending, processing or completed.', HttpStatus.CONFLICT),
  paymentMethodNotUsable: () =>
    new DomainException('PAYMENT_METHOD_NOT_USABLE', 'paymentMethodId must be an active payment method of yours.', HttpStatus.UNPROCESSABLE_ENTITY, field('paymentMethodId', 'not a usable payment method of yours')),
  paymentMethodNotSupported: (provider: string, why: string) =>
    new DomainException('PAYMENT_METHOD_NOT_SUPPORTED', `This payment method cannot pay through ${provider}: ${why}`, HttpStatus.UNPROCESSABLE_ENTITY, field('paymentMethodId', why)),
  amountNotSupported: (message: string) => new DomainException('AMOUNT_NOT_SUPPORTED_BY_PROVIDER', message, HttpStatus.UNPROCESSABLE_ENTITY),
  declined: (code: string, message: string) =>
    new DomainException('PAYMENT_DECLINED', `The provider declined the payment: ${message}`, HttpStatus.PAYMENT_REQUIRED, { declineCode: code }),
  /** Nothing was made: the client retries with the same Idempotency-Key. */
  providerUnavailable: (provider: string) =>
    new DomainException('PROVIDER_UNAVAILABLE', `${provider} could not be reached or failed; nothing was charged or recorded. Retry with the same Idempotency-Key.`, HttpStatus.SERVICE_UNAVAILABLE, { provider }),
};
