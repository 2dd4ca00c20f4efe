import { HttpStatus } from '@nestjs/common';
import { DomainException } from '@tally/service-kit';

export enum PaymentMethodExceptionCode {
  /** Also someone else's method, and a removed one: existence never leaks. */
  NotFound = 'PAYMENT_METHOD_NOT_FOUND',
  InvalidId = 'INVALID_ID',
  InvalidDetails = 'INVALID_PAYMENT_DETAILS',
  CardNumberRefused = 'CARD_NUMBER_REFUSED',
  Inactive = 'PAYMENT_METHOD_INACTIVE',
}

const C = PaymentMethodExceptionCode;

export const PaymentMethodErrors = {
  notFound: () => new DomainException(C.NotFound, 'Payment method not found.', HttpStatus.NOT_FOUND),
  invalidId: (name = 'id') => new DomainException(C.InvalidId, `${name} must be a UUID.`, HttpStatus.BAD_REQUEST, { errors: [{ field: name, message: 'must be a UUID' }] }),
  invalidDetails: (errors: { field: string; message: string }[]) =>
    new DomainException(C.InvalidDetails, `The payment details are not valid: ${errors.map((e) => `${e.field} ${e.message}`).join('; ')}.`, HttpStatus.BAD_REQUEST, { errors }),
  cardNumberRefused: (field: string) =>
    new DomainException(
      C.CardNumberRefused,
      'Tally never stores card numbers: send only the brand, the last four digits and the expiry (the card itself goes to the payment provider).',
      HttpStatus.BAD_REQUEST,
      { errors: [{ field, message: 'looks like a full card number' }] },
    ),
  inactive: () => new DomainException(C.Inactive, 'The payment method is deactivated; only an active method can be the default.', HttpStatus.CONFLICT),
};
