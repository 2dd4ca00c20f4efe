import { HttpStatus } from '@nestjs/common';
import { DomainException } from '@tally/service-kit';

export enum AuthExceptionCode {
  UsernameTaken = 'USERNAME_TAKEN',
  InvalidCredentials = 'INVALID_CREDENTIALS',
  EmailNotVerified = 'EMAIL_NOT_VERIFIED',
  AccountInactive = 'ACCOUNT_INACTIVE',
  VerificationTokenInvalid = 'VERIFICATION_TOKEN_INVALID',
  VerificationTokenExpired = 'VERIFICATION_TOKEN_EXPIRED',
  UserNotFound = 'USER_NOT_FOUND',
  AccountLocked = 'ACCOUNT_LOCKED',
  PasswordTooCommon = 'PASSWORD_TOO_COMMON',
  PasswordLikeAccount = 'PASSWORD_LIKE_ACCOUNT',
  RefreshTokenInvalid = 'REFRESH_TOKEN_INVALID',
  RefreshTokenReused = 'REFRESH_TOKEN_REUSED',
  ResetTokenInvalid = 'RESET_TOKEN_INVALID',
  ResetTokenExpired = 'RESET_TOKEN_EXPIRED',
  CurrentPasswordWrong = 'CURRENT_PASSWORD_WRONG',
}

export class AuthException extends DomainException {
  constructor(code: AuthExceptionCode, message: string, status: number) {
    super(code, message, status);
  }
}

export const AuthErrors = {
  usernameTaken: () => new AuthException(AuthExceptionCode.UsernameTaken, 'This username is taken.', HttpStatus.CONFLICT),
  invalidCredentials: () => new AuthException(AuthExceptionCode.InvalidCredentials, 'The login or password is wrong.', HttpStatus.UNAUTHORIZED),
  emailNotVerified: () => new AuthException(AuthExceptionCode.EmailNotVerified, 'Verify your email address before logging in.', HttpStatus.FORBIDDEN),
  inactive: () => new AuthException(AuthExceptionCode.AccountInactive, 'This account is deactivated.', HttpStatus.FORBIDDEN),
  tokenInvalid: () => new AuthException(AuthExceptionCode.VerificationTokenInvalid, 'This verification link is not valid or was already used.', HttpStatus.BAD_REQUEST),
  tokenExpired: () => new AuthException(AuthExceptionCode.VerificationTokenExpired, 'This verification link has expired; ask for a new one.', HttpStatus.GONE),
  userNotFound: () => new AuthException(AuthExceptionCode.UserNotFound, 'User not found.', HttpStatus.NOT_FOUND),
  /** The same answer whether or not the account exists. */
  locked: () => new AuthException(AuthExceptionCode.AccountLocked, 'Too many failed logins. Try again later or reset your password.', HttpStatus.LOCKED),
  passwordTooCommon: () => new AuthException(AuthExceptionCode.PasswordTooCommon, 'This password is too common; choose another.', HttpStatus.BAD_REQUEST),
  passwordLikeAccount: () => new AuthException(AuthExceptionCode.PasswordLikeAccount, 'The password must not be your username or email.', HttpStatus.BAD_REQUEST),
  refreshInvalid: () => new AuthException(AuthExceptionCode.RefreshTokenInvalid, 'The refresh token is not valid; log in again.', HttpStatus.UNAUTHORIZED),
  refreshReused: () => new AuthException(AuthExceptionCode.RefreshTokenReused, 'This refresh token was already used; the session has been ended. Log in again.', HttpStatus.UNAUTHORIZED),
  resetInvalid: () => new AuthException(AuthExceptionCode.ResetTokenInvalid, 'This reset link is not valid or was already used.', HttpStatus.BAD_REQUEST),
  resetExpired: () => new AuthException(AuthExceptionCode.ResetTokenExpired, 'This reset link has expired; ask for a new one.', HttpStatus.GONE),
  currentPasswordWrong: () => new AuthException(AuthExceptionCode.CurrentPasswordWrong, 'The current password is wrong.', HttpStatus.BAD_REQUEST),
};
