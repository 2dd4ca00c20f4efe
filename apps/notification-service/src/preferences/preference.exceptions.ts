import { HttpStatus } from '@nestjs/common';
import { DomainException } from '@tally/service-kit';

/** Preferences' errors, one stable code each (problem+json `code`). */
export enum PreferenceExceptionCode {
  /** Not a notification type at all. */
  TypeNotFound = 'NOTIFICATION_TYPE_NOT_FOUND',
  /** An account email (verification, password reset…): always sent by email, never muted or delayed. */
  NotAdjustable = 'NOTIFICATION_TYPE_NOT_ADJUSTABLE',
  InvalidQuietHours = 'INVALID_QUIET_HOURS',
}

export class PreferenceException extends DomainException {
  constructor(code: PreferenceExceptionCode, message: string, status: number, extra: Record<string, unknown> = {}) {
    super(code, message, status, extra);
  }
}

export const PreferenceErrors = {
  typeNotFound: (type: string) =>
    new PreferenceException(PreferenceExceptionCode.TypeNotFound, `There is no notification type "${type.slice(0, 40)}".`, HttpStatus.NOT_FOUND),
  notAdjustable: (type: string) =>
    new PreferenceException(PreferenceExceptionCode.NotAdjustable, `"${type}" is an account email: it is always sent and has no preferences.`, HttpStatus.BAD_REQUEST),
  sameStartAndEnd: () =>
    new PreferenceException(PreferenceExceptionCode.InvalidQuietHours, 'Quiet hours must start and end at different times.', HttpStatus.BAD_REQUEST, {
      errors: [{ field: 'quietHours', message: 'start and end must differ' }],
    }),
};
