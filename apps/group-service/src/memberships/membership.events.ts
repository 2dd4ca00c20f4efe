import type { NewEvent } from '@tally/messaging';
import type { GroupMembership, GroupRole } from './membership.entity';

type MembershipEventType = 'membership.joined' | 'membership.role_changed' | 'membership.left' | 'membership.removed' | 'membership.declined' | 'membership.preferences_updated';

function event<T extends MembershipEventType>(
  type: T, m: GroupMembership, byUserId: string,
  extra: { via?: 'created' | 'code' | 'invitation'; previousRole?: GroupRole; notificationPreferences?: Record<string, boolean> } = {},
): NewEvent<T> {
  return {
    type,
    subject: m.id,
    data: { membershipId: m.id, groupId: m.groupId, userId: m.userId, role: m.role, status: m.status, isActive: m.isActive, byUserId, ...extra, at: new Date().toISOString() },
  } as NewEvent<T>;
}

/** The events of a membership (`group.membership.v1`, keyed by membership id: one per user and group). */
export const MembershipEvents = {
  joined: (m: GroupMembership, by: string, via: 'created' | 'code' | 'invitation') => event('membership.joined', m, by, { via }),
  roleChanged: (m: GroupMembership, by: string, previousRole: GroupRole) => event('membership.role_changed', m, by, { previousRole }),
  left: (m: GroupMembership) => event('membership.left', m, m.userId),
  removed: (m: GroupMembership, by: string) => event('membership.removed', m, by),
  declined: (m: GroupMembership) => event('membership.declined', m, m.userId),
  preferencesUpdated: (m: GroupMembership) => event('membership.preferences_updated', m, m.userId, { notificationPreferences: m.notificationPreferences }),
};
