import { HttpStatus } from '@nestjs/common';
import { DomainException } from '@tally/service-kit';

export enum AuthExceptionCode {
  EmailTaken = 'EMAIL_TAKEN',
  UsernameTaken = 'USERNAME_TAKEN',
  InvalidCredentials = 'INVALID_CREDENTIALS',
  EmailNotVerified = 'EMAIL_NOT_VERIFIED',
  AccountInactive = 'ACCOUNT_INACTIVE',
  VerificationTokenInvalid = 'VERIFICATION_TOKEN_INVALID',
  VerificationTokenExpired = 'VERIFICATION_TOKEN_EXPIRED',
  UserNotFound = 'USER_NOT_FOUND',
}

export class AuthException extends DomainException {
  constructor(code: AuthExceptionCode, message: string, status: number) {
    super(code, message, status);
  }
}

export const AuthErrors = {
  emailTaken: () => new AuthException(AuthExceptionCode.EmailTaken, 'An account with this email already exists.', HttpStatus.CONFLICT),
  usernameTaken: () => new AuthException(AuthExceptionCode.UsernameTaken, 'This username is taken.', HttpStatus.CONFLICT),
  invalidCredentials: () => new AuthException(AuthExceptionCode.InvalidCredentials, 'The login or password is wrong.', HttpStatus.UNAUTHORIZED),
  emailNotVerified: () => new AuthException(AuthExceptionCode.EmailNotVerified, 'Verify your email address before logging in.', HttpStatus.FORBIDDEN),
  inactive: () => new AuthException(AuthExceptionCode.AccountInactive, 'This account is deactivated.', HttpStatus.FORBIDDEN),
  tokenInvalid: () => new AuthException(AuthExceptionCode.VerificationTokenInvalid, 'This verification link is not valid or was already used.', HttpStatus.BAD_REQUEST),
  tokenExpired: () => new AuthException(AuthExceptionCode.VerificationTokenExpired, 'This verification link has expired; ask for a new one.', HttpStatus.GONE),
  userNotFound: () => new AuthException(AuthExceptionCode.UserNotFound, 'User not found.', HttpStatus.NOT_FOUND),
};
