import { HttpStatus } from '@nestjs/common';
import { DomainException } from '@tally/service-kit';

/** Settlements' errors, one stable code each (problem+json `code`). */
export enum SettlementExceptionCode {
  /** Also what anyone gets who is neither a party nor an admin of its group: existence never leaks. */
  NotFound = 'SETTLEMENT_NOT_FOUND',
  InvalidId = 'INVALID_ID',
  NotAParty = 'NOT_A_PARTY',
  SameParty = 'SAME_PARTY',
  PartiesOnly = 'SETTLEMENT_PARTIES_ONLY',
  PayerOnly = 'SETTLEMENT_PAYER_ONLY',
  NotPending = 'SETTLEMENT_NOT_PENDING',
  LivePayment = 'SETTLEMENT_HAS_LIVE_PAYMENT',
  GroupNotFound = 'GROUP_NOT_FOUND',
  ViewerCannotSettle = 'VIEWER_CANNOT_SETTLE',
  NotGroupMember = 'NOT_GROUP_MEMBER',
  NotFriends = 'NOT_FRIENDS',
  InvalidAmount = 'INVALID_AMOUNT',
  UnknownCurrency = 'UNKNOWN_CURRENCY',
  DueDateInPast = 'DUE_DATE_IN_PAST',
  InvalidDueDate = 'INVALID_DUE_DATE',
  PaymentMethodNotFound = 'PAYMENT_METHOD_NOT_FOUND',
}

export class SettlementException extends DomainException {
  constructor(code: SettlementExceptionCode, message: string, status: number, extra: Record<string, unknown> = {}) {
    super(code, message, status, extra);
  }
}

const C = SettlementExceptionCode;
const field = (name: string, message: string) => ({ errors: [{ field: name, message }] });

export const SettlementErrors = {
  notFound: () => new SettlementException(C.NotFound, 'Settlement not found.', HttpStatus.NOT_FOUND),
  invalidId: (name = 'id') => new SettlementException(C.InvalidId, `${name} must be a UUID.`, HttpStatus.BAD_REQUEST, field(name, 'must be a UUID')),
  notAParty: () => new SettlementException(C.NotAParty, 'You can only record a settlement you pay or receive: payerId or payeeId must be you.', HttpStatus.FORBIDDEN),
  sameParty: () => new SettlementException(C.SameParty, 'payerId and payeeId must be two different people.', HttpStatus.BAD_REQUEST, field('payeeId', 'must differ from payerId')),
  partiesOnly: (what: string) => new SettlementException(C.PartiesOnly, `Only the payer or the payee can ${what} a settlement; a group's admins only read it.`, HttpStatus.FORBIDDEN),
  payerOnly: () => new SettlementException(C.PayerOnly, 'Only the payer can pay a settlement.', HttpStatus.FORBIDDEN),
  notPending: (status: string) => new SettlementException(C.NotPending, `The settlement is ${status}, not pending.`, HttpStatus.CONFLICT, { settlementStatus: status }),
  livePayment: () =>
    new SettlementException(C.LivePayment, 'A payment for this settlement is in progress; it cannot be cancelled until the payment has failed or been cancelled.', HttpStatus.CONFLICT),
  groupNotFound: () => new SettlementException(C.GroupNotFound, 'Group not found.', HttpStatus.NOT_FOUND),
  viewerCannotSettle: () => new SettlementException(C.ViewerCannotSettle, "A group's viewers cannot record money in it.", HttpStatus.FORBIDDEN),
  notGroupMember: (userId: string) =>
    new SettlementException(C.NotGroupMember, `${userId} is not an active member of the group.`, HttpStatus.UNPROCESSABLE_ENTITY, { userId }),
  notFriends: (userId: string) =>
    new SettlementException(C.NotFriends, `Outside groups you can settle only with friends; ${userId} is not your friend.`, HttpStatus.UNPROCESSABLE_ENTITY, { userId }),
  invalidAmount: (message: string) => new SettlementException(C.InvalidAmount, message, HttpStatus.BAD_REQUEST, field('amount', message)),
  unknownCurrency: () => new SettlementException(C.UnknownCurrency, 'currency must be an ISO 4217 code Tally knows, such as "EUR".', HttpStatus.BAD_REQUEST, field('currency', 'unknown currency')),
  dueDateInPast: () => new SettlementException(C.DueDateInPast, 'dueDate must not be in the past.', HttpStatus.BAD_REQUEST, field('dueDate', 'must not be in the past')),
  invalidDueDate: () => new SettlementException(C.InvalidDueDate, 'dueDate is not a real date.', HttpStatus.BAD_REQUEST, field('dueDate', 'not a real date')),
  paymentMethodNotFound: () =>
    new SettlementException(C.PaymentMethodNotFound, 'Payment method not found (it must be one of your active payment methods).', HttpStatus.UNPROCESSABLE_ENTITY, field('paymentMethodId', 'not one of your active payment methods')),
};
