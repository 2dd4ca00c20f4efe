import type { NewEvent } from '@tally/messaging';
import type { PasswordReset } from './account.entities';
import type { User } from './user.entity';

/**
 * The events of a password reset (`auth.password-reset.v1`, keyed by user id). It carries the token
 * in clear, so notification-service can mail it; only the token's hash is stored.
 */
export const PasswordResetEvents = {
  requested(user: User, reset: Pick<PasswordReset, 'expiresAt'>, token: string): NewEvent<'password_reset.requested'> {
    return {
      type: 'password_reset.requested',
      subject: user.id,
      data: { userId: user.id, email: user.email, token, expiresAt: reset.expiresAt.toISOString(), firstName: user.firstName ?? null },
    };
  },
};
