import type { NewEvent } from '@tally/messaging';
import type { EmailVerification, User } from './user.entity';

/**
 * The events of an email verification (`auth.email-verification.v1`, keyed by user id). It carries
 * the token in clear, so notification-service can mail it; only the token's hash is stored.
 */
export const EmailVerificationEvents = {
  requested(user: User, verification: Pick<EmailVerification, 'expiresAt'>, token: string): NewEvent<'email_verification.requested'> {
    return {
      type: 'email_verification.requested',
      subject: user.id,
      data: { userId: user.id, email: user.email, token, expiresAt: verification.expiresAt.toISOString(), firstName: user.firstName ?? null },
    };
  },
};
