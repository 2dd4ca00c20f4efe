import { HttpStatus } from '@nestjs/common';
import { DomainException } from '@tally/service-kit';

/** Notifications' errors, one stable code each (problem+json `code`). */
export enum NotificationExceptionCode {
  /** Also what anyone but its recipient gets: existence never leaks. */
  NotFound = 'NOTIFICATION_NOT_FOUND',
  InvalidId = 'INVALID_ID',
}

export class NotificationException extends DomainException {
  constructor(code: NotificationExceptionCode, message: string, status: number, extra: Record<string, unknown> = {}) {
    super(code, message, status, extra);
  }
}

export const NotificationErrors = {
  notFound: () => new NotificationException(NotificationExceptionCode.NotFound, 'Notification not found.', HttpStatus.NOT_FOUND),
  invalidId: () =>
    new NotificationException(NotificationExceptionCode.InvalidId, 'id must be a UUID.', HttpStatus.BAD_REQUEST, { errors: [{ field: 'id', message: 'must be a UUID' }] }),
};
