import type { NewEvent } from '@tally/messaging';
import type { EmailVerification, User } from './user.entity';

/**
 * The events of an email verification (`auth.email-verification.v1`, keyed by user id, read only by
 * notification-service). A request carries the token in clear, so notification-service can mail
 * it; only the token's hash is stored.
 */
export const EmailVerificationEvents = {
  requested(user: User, verification: Pick<EmailVerification, 'expiresAt'>, token: string): NewEvent<'email_verification.requested'> {
    return {
      type: 'email_verification.requested',
      subject: user.id,
      data: { userId: user.id, email: user.email, token, expiresAt: verification.expiresAt.toISOString(), firstName: user.firstName ?? null },
    };
  },

  /** Someone tried to register with `user`'s address: its owner is told (no token: nothing to confirm). */
  registrationAttempted(user: User, at = new Date()): NewEvent<'email_verification.registration_attempted'> {
    return {
      type: 'email_verification.registration_attempted',
      subject: user.id,
      data: { userId: user.id, email: user.email, username: user.username, firstName: user.firstName ?? null, attemptedAt: at.toISOString() },
    };
  },
};
