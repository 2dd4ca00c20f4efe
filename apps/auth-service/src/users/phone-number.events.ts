import type { NewEvent } from '@tally/messaging';
import type { User } from './user.entity';

/**
 * `user.phone_changed` (`auth.phone-number.v1`, keyed by user id): the user's phone number as it
 * is now, null once cleared. Personal data, so on a topic only notification-service reads (it texts
 * the number), never on `auth.user.v1`. Published in the transaction that sets, changes or clears it.
 * Auth does not verify numbers: it is the user's own claim.
 */
export const PhoneNumberEvents = {
  changed(user: Pick<User, 'id' | 'phoneNumber'>, at = new Date()): NewEvent<'user.phone_changed'> {
    return { type: 'user.phone_changed', subject: user.id, data: { userId: user.id, phoneNumber: user.phoneNumber ?? null, at: at.toISOString() } };
  },
};
