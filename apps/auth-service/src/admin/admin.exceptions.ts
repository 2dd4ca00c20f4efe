import { HttpStatus } from '@nestjs/common';
import { DomainException } from '@tally/service-kit';

export enum AdminExceptionCode {
  /** The caller is not an active admin (or, for reads, staff). */
  AdminRequired = 'ADMIN_REQUIRED',
  /** Only a superuser may change an admin's or a superuser's account. */
  SuperuserRequired = 'SUPERUSER_REQUIRED',
  /** An admin may not deactivate or re-role their own account. */
  CannotChangeSelf = 'CANNOT_CHANGE_SELF',
  UserNotFound = 'USER_NOT_FOUND',
  ConfigurationNotFound = 'CONFIGURATION_NOT_FOUND',
  /** The value does not read as its data type. */
  InvalidConfigurationValue = 'INVALID_CONFIGURATION_VALUE',
  SigningKeyNotFound = 'SIGNING_KEY_NOT_FOUND',
}

export class AdminException extends DomainException {
  constructor(code: AdminExceptionCode, message: string, status: number, extra: Record<string, unknown> = {}) {
    super(code, message, status, extra);
  }
}

export const AdminErrors = {
  adminRequired: () => new AdminException(AdminExceptionCode.AdminRequired, 'This requires an active admin account.', HttpStatus.FORBIDDEN),
  readOnlyStaff: () =>
    new AdminException(AdminExceptionCode.AdminRequired, 'Staff accounts may read admin data but not change it; this requires an active admin account.', HttpStatus.FORBIDDEN),
  superuserRequired: () =>
    new AdminException(AdminExceptionCode.SuperuserRequired, "Only a superuser may change an admin's or a superuser's account.", HttpStatus.FORBIDDEN),
  cannotChangeSelf: (what: string) => new AdminException(AdminExceptionCode.CannotChangeSelf, `You cannot ${what} your own account.`, HttpStatus.CONFLICT),
  superuserRequiredTo: (what: string) => new AdminException(AdminExceptionCode.SuperuserRequired, `Only a superuser may ${what}.`, HttpStatus.FORBIDDEN),
  userNotFound: () => new AdminException(AdminExceptionCode.UserNotFound, 'User not found.', HttpStatus.NOT_FOUND),
  signingKeyNotFound: () => new AdminException(AdminExceptionCode.SigningKeyNotFound, 'Signing key not found.', HttpStatus.NOT_FOUND),
  configurationNotFound: () => new AdminException(AdminExceptionCode.ConfigurationNotFound, 'Configuration not found.', HttpStatus.NOT_FOUND),
  /** Shaped like a validation failure (errors[]), and never echoes the value: it may be a secret. */
  invalidConfigurationValue: (message: string) =>
    new AdminException(AdminExceptionCode.InvalidConfigurationValue, 'The configuration value does not match its data type.', HttpStatus.BAD_REQUEST, {
      errors: [{ field: 'value', message }],
    }),
};
