import type { EventActor } from '@tally/contracts';
import type { NewEvent } from '@tally/messaging';
import type { User, UserRole } from './user.entity';

type StatusEventType = 'user.deactivated' | 'user.reactivated' | 'user.locked' | 'user.unlocked' | 'user.password_changed' | 'user.role_changed';

function status<T extends StatusEventType>(
  type: T,
  userId: string,
  byUserId: string | null,
  at: Date,
  extra: { role?: UserRole; lockedUntil?: string | null } = {},
  actor?: EventActor,
): NewEvent<T> {
  return { type, subject: userId, data: { userId, at: at.toISOString(), byUserId, ...extra }, ...(actor ? { actor } : {}) } as NewEvent<T>;
}

/**
 * The events of the user aggregate (`auth.user.v1`, keyed by user id): the one place their payloads
 * are built. `byUserId` is who did it; null for the system.
 */
export const UserEvents = {
  registered(user: User): NewEvent<'user.registered'> {
    return {
      type: 'user.registered',
      subject: user.id,
      data: {
        userId: user.id, username: user.username, email: user.email, firstName: user.firstName ?? null, lastName: user.lastName ?? null,
        preferredCurrency: user.preferredCurrency, timezone: user.timezone, dateJoined: user.dateJoined.toISOString(),
      },
    };
  },

  /** `email` is the address that was verified (the verification's, which matches the user's). */
  emailVerified(user: Pick<User, 'id'>, email: string, at = new Date()): NewEvent<'user.email_verified'> {
    return { type: 'user.email_verified', subject: user.id, data: { userId: user.id, email, verifiedAt: at.toISOString() } };
  },

  profileUpdated(user: User): NewEvent<'user.profile_updated'> {
    return {
      type: 'user.profile_updated',
      subject: user.id,
      data: {
        userId: user.id, username: user.username, firstName: user.firstName ?? null, lastName: user.lastName ?? null,
        preferredCurrency: user.preferredCurrency, timezone: user.timezone, profileVisibility: user.profileVisibility,
        updatedAt: user.updatedAt.toISOString(),
      },
    };
  },

  deactivated(userId: string, byUserId: string | null, at = new Date()): NewEvent<'user.deactivated'> {
    return status('user.deactivated', userId, byUserId, at);
  },

  reactivated(userId: string, byUserId: string | null, at = new Date()): NewEvent<'user.reactivated'> {
    return status('user.reactivated', userId, byUserId, at);
  },

  /** Locked by the lockout (by nobody) until `lockedUntil`. */
  locked(userId: string, lockedUntil: Date | null, at = new Date()): NewEvent<'user.locked'> {
    return status('user.locked', userId, null, at, { lockedUntil: lockedUntil?.toISOString() ?? null });
  },

  /** Lifted by an admin, or by the user (byUserId = userId) whose right password raced the failures that locked it. */
  unlocked(userId: string, byUserId: string | null, at = new Date()): NewEvent<'user.unlocked'> {
    return status('user.unlocked', userId, byUserId, at, { lockedUntil: null });
  },

  /** Changed by the user (byUserId = the user) or reset through a reset link (null). */
  passwordChanged(userId: string, byUserId: string | null, at = new Date()): NewEvent<'user.password_changed'> {
    return status('user.password_changed', userId, byUserId, at);
  },

  roleChanged(userId: string, role: UserRole, byUserId: string | null, at = new Date(), actor?: EventActor): NewEvent<'user.role_changed'> {
    return status('user.role_changed', userId, byUserId, at, { role }, actor);
  },
};
