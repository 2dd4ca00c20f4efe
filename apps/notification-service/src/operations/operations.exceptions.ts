import { HttpStatus } from '@nestjs/common';
import { DomainException } from '@tally/service-kit';

/** The operations API's errors, one stable code each (problem+json `code`). */
export enum OperationsExceptionCode {
  AdminRequired = 'ADMIN_REQUIRED',
  DeliveryNotFound = 'DELIVERY_NOT_FOUND',
  InvalidId = 'INVALID_ID',
  /** Only a failed delivery (a dead letter) can be replayed. */
  NotReplayable = 'DELIVERY_NOT_REPLAYABLE',
  /** The account email's link has expired: sending it again would send a dead link. */
  Expired = 'DELIVERY_EXPIRED',
}

export class OperationsException extends DomainException {
  constructor(code: OperationsExceptionCode, message: string, status: number, extra: Record<string, unknown> = {}) {
    super(code, message, status, extra);
  }
}

export const OperationsErrors = {
  adminRequired: () => new OperationsException(OperationsExceptionCode.AdminRequired, 'Only platform admins can read or replay notification deliveries.', HttpStatus.FORBIDDEN),
  notFound: () => new OperationsException(OperationsExceptionCode.DeliveryNotFound, 'Delivery not found.', HttpStatus.NOT_FOUND),
  invalidId: () => new OperationsException(OperationsExceptionCode.InvalidId, 'id must be a UUID.', HttpStatus.BAD_REQUEST, { errors: [{ field: 'id', message: 'must be a UUID' }] }),
  notReplayable: (status: string) =>
    new OperationsException(OperationsExceptionCode.NotReplayable, `Only a failed delivery can be replayed; this one is ${status}.`, HttpStatus.CONFLICT, { status }),
  expired: () =>
    new OperationsException(OperationsExceptionCode.Expired, 'This account email has expired (its link no longer works); the user asks for a new one.', HttpStatus.CONFLICT),
};
