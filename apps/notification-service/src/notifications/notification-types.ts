/**
 * Every notification type Tally produces, with what a user may choose for it. The types users see and
 * set preferences for are the domain ones; the account emails (verification, reset, registration
 * attempt) are transactional: always sent, by email only, never muted.
 */
export const CHANNELS = ['in_app', 'email', 'push', 'sms'] as const;
export type Channel = (typeof CHANNELS)[number];

export const PRIORITIES = ['low', 'normal', 'high', 'urgent'] as const;
export type Priority = (typeof PRIORITIES)[number];

export interface NotificationTypeInfo {
  /** What it tells, for people (the preferences API lists it). */
  description: string;
  priority: Priority;
  /** The channels a new user gets (their preferences can change them). */
  defaultChannels: readonly Channel[];
  /** Transactional: not listed in preferences, never muted or delayed. */
  transactional?: boolean;
}

export const NOTIFICATION_TYPES = {
  email_verification: { description: 'Verify your email address', priority: 'urgent', defaultChannels: ['email'], transactional: true },
  password_reset: { description: 'Reset your password', priority: 'urgent', defaultChannels: ['email'], transactional: true },
  registration_attempted: { description: 'Someone tried to sign up with your address', priority: 'high', defaultChannels: ['email'], transactional: true },
  friend_request: { description: 'Someone asked to be your friend', priority: 'normal', defaultChannels: ['in_app', 'email', 'push'] },
  friend_accepted: { description: 'Your friend request was accepted', priority: 'low', defaultChannels: ['in_app', 'push'] },
  group_invitation: { description: 'You were invited to a group', priority: 'normal', defaultChannels: ['in_app', 'email', 'push'] },
  group_member_added: { description: 'You were added to a group', priority: 'normal', defaultChannels: ['in_app', 'push'] },
  group_member_removed: { description: 'You were removed from a group', priority: 'normal', defaultChannels: ['in_app', 'email'] },
  expense_added: { description: 'An expense that involves you was added', priority: 'normal', defaultChannels: ['in_app', 'email', 'push'] },
  expense_updated: { description: 'An expense that involves you was edited', priority: 'normal', defaultChannels: ['in_app', 'push'] },
  expense_deleted: { description: 'An expense that involved you was deleted', priority: 'normal', defaultChannels: ['in_app', 'push'] },
  expense_approval_needed: { description: 'An expense waits for your approval', priority: 'high', defaultChannels: ['in_app', 'email', 'push'] },
  expense_comment: { description: 'A comment on an expense you are in', priority: 'low', defaultChannels: ['in_app', 'push'] },
  expense_comment_reply: { description: 'A reply to your comment', priority: 'normal', defaultChannels: ['in_app', 'push'] },
  settlement_requested: { description: 'A settlement with you was recorded and waits for your confirmation', priority: 'high', defaultChannels: ['in_app', 'email', 'push'] },
  settlement_confirmed: { description: 'The other side confirmed a settlement', priority: 'normal', defaultChannels: ['in_app', 'push'] },
  settlement_completed: { description: 'A settlement completed', priority: 'normal', defaultChannels: ['in_app', 'email', 'push'] },
  settlement_cancelled: { description: 'A settlement was cancelled', priority: 'normal', defaultChannels: ['in_app', 'push'] },
  settlement_overdue: { description: 'A settlement you owe is past its due date', priority: 'high', defaultChannels: ['in_app', 'email', 'push'] },
  payment_failed: { description: 'A payment of yours failed', priority: 'urgent', defaultChannels: ['in_app', 'email', 'push', 'sms'] },
  recurring_expense_generated: { description: 'A recurring expense was added', priority: 'low', defaultChannels: ['in_app'] },
  budget_threshold: { description: 'A budget crossed 80 % or 100 %', priority: 'high', defaultChannels: ['in_app', 'email', 'push'] },
} as const satisfies Record<string, NotificationTypeInfo>;

export type NotificationType = keyof typeof NOTIFICATION_TYPES;

export function isNotificationType(t: string): t is NotificationType {
  return Object.prototype.hasOwnProperty.call(NOTIFICATION_TYPES, t);
}

/** The types a user sets preferences for (not the transactional account emails). */
export function preferenceTypes(): NotificationType[] {
  return (Object.keys(NOTIFICATION_TYPES) as NotificationType[]).filter((t) => !(NOTIFICATION_TYPES[t] as NotificationTypeInfo).transactional);
}
