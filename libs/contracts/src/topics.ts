import type { ServiceName } from './services';

/**
 * Topic per aggregate: `<service>.<aggregate>.v<N>`, keyed by aggregate id.
 * Names never change once shipped; a breaking change is a new topic.
 */
export const Topics = {
  authUser: 'auth.user.v1',
  authEmailVerification: 'auth.email-verification.v1',
  authSigningKey: 'auth.signing-key.v1',
  authPasswordReset: 'auth.password-reset.v1',
  authFriendship: 'auth.friendship.v1',
  authDevice: 'auth.device.v1',
  authPhoneNumber: 'auth.phone-number.v1',
  groupGroup: 'group.group.v1',
  groupMembership: 'group.membership.v1',
  groupInvitation: 'group.invitation.v1',
  expenseExpense: 'expense.expense.v1',
  expenseComment: 'expense.comment.v1',
  expenseBudget: 'expense.budget.v1',
  analyticsBudget: 'analytics.budget.v1',
  expenseRecurringExpense: 'expense.recurring-expense.v1',
  paymentSettlement: 'payment.settlement.v1',
  paymentPayment: 'payment.payment.v1',
} as const;

export type TopicName = (typeof Topics)[keyof typeof Topics];

export const ALL_TOPICS: readonly TopicName[] = Object.values(Topics);

/** Where a message that keeps failing goes, after bounded retries. */
export function dlqTopic(topic: string): string {
  return `${topic}.dlq`;
}

/** How long a dead letter is kept on `<topic>.dlq` (the infrastructure creates DLQs with it). */
export const DLQ_RETENTION_MS = 30 * 24 * 3600 * 1000;

/** Everything known about a topic: how the infrastructure creates it, and what the AsyncAPI document says of it. */
export interface TopicDeclaration {
  /** The only service that publishes on it (through its outbox). */
  owner: ServiceName;
  /** What travels on it, for people. */
  description: string;
  /** What the Kafka key (the envelope's `subject`) is: the aggregate id. */
  key: string;
  partitions: number;
  /** Log-compacted: the latest message per key is kept forever. */
  compacted?: boolean;
  /**
   * Messages carry a live secret (a token): only the services in `readers` may consume the topic,
   * and its events are never copied elsewhere (e.g. into the audit log). See ADR 3.
   */
  carriesSecrets: boolean;
  /** Who may consume it: `any` service, or only the ones listed. */
  readers: 'any' | readonly ServiceName[];
}

/** Topic settings and metadata: the infrastructure creates topics from it, the AsyncAPI document describes them from it. */
export const TopicConfig: Record<TopicName, TopicDeclaration> = {
  'auth.user.v1': {
    owner: 'auth-service',
    description: 'A user account: registration, verification, profile, status, role and password changes. Every service keeps its users projection from it; the audit log records it.',
    key: 'user id',
    partitions: 3,
    carriesSecrets: false,
    readers: 'any',
  },
  'auth.email-verification.v1': {
    owner: 'auth-service',
    description: 'Email verification requests, with the single-use token notification-service mails.',
    key: 'user id',
    partitions: 3,
    carriesSecrets: true,
    readers: ['notification-service'],
  },
  'auth.signing-key.v1': {
    owner: 'auth-service',
    description: 'Public keys that sign access tokens (never the private part). Every service keeps them to verify tokens itself. Compacted: the latest message per kid survives forever, so a new service can always verify tokens.',
    key: 'kid',
    partitions: 1,
    compacted: true,
    carriesSecrets: false,
    readers: 'any',
  },
  'auth.password-reset.v1': {
    owner: 'auth-service',
    description: 'Password reset requests, with the reset token notification-service mails.',
    key: 'user id',
    partitions: 3,
    carriesSecrets: true,
    readers: ['notification-service'],
  },
  'auth.friendship.v1': {
    owner: 'auth-service',
    description: 'Friend requests and friendships between two users.',
    key: 'friendship id',
    partitions: 3,
    carriesSecrets: false,
    readers: 'any',
  },
  'auth.device.v1': {
    owner: 'auth-service',
    description: "A user's push-notification devices, with their push tokens.",
    key: 'device id',
    partitions: 3,
    carriesSecrets: true,
    readers: ['notification-service'],
  },
  'auth.phone-number.v1': {
    owner: 'auth-service',
    description: "A user's phone number, set, changed or cleared (personal data: notification-service texts it; no other service needs it).",
    key: 'user id',
    partitions: 3,
    carriesSecrets: true,
    readers: ['notification-service'],
  },
  'group.group.v1': {
    owner: 'group-service',
    description: 'A group: created, edited, archived, unarchived, deleted, its invite code changed (never the code itself).',
    key: 'group id',
    partitions: 3,
    carriesSecrets: false,
    readers: 'any',
  },
  'group.membership.v1': {
    owner: 'group-service',
    description: "Who belongs to which group with which role: joins, role changes, leaving, removal, per-member notification preferences. expense-service keeps its membership projection from it.",
    key: 'membership id (one per user and group, reused when someone rejoins)',
    partitions: 3,
    carriesSecrets: false,
    readers: 'any',
  },
  'expense.expense.v1': {
    owner: 'expense-service',
    description: "Shared expenses with their payers and exact shares: created, edited (with the previous version), deleted, restored, approved. group-service keeps each group's totals, member balances and feed from it; auth the profile totals; analytics the audit trail.",
    key: 'expense id',
    partitions: 3,
    carriesSecrets: false,
    readers: 'any',
  },
  'expense.comment.v1': {
    owner: 'expense-service',
    description: "Comments on expenses and replies to them: added, edited, deleted, with the expense's title and participants (its payers and share owners) so notification-service knows whom to tell. A deleted comment's text does not travel again.",
    key: 'comment id',
    partitions: 3,
    carriesSecrets: false,
    readers: 'any',
  },
  'expense.recurring-expense.v1': {
    owner: 'expense-service',
    description: "Recurring expense templates: created, edited (future occurrences only), paused, resumed, deleted by a person, or deactivated by expense-worker when they can no longer generate (with the reason). Each occurrence generated is an ordinary expense.created on expense.expense.v1 carrying `recurringExpenseId`.",
    key: 'recurring expense id',
    partitions: 3,
    carriesSecrets: false,
    readers: 'any',
  },
  'expense.budget.v1': {
    owner: 'expense-service',
    description: "A user's budgets (an amount per weekly, monthly or yearly period from its start date, for one category or all, in one currency): created, edited, deleted. analytics-service keeps its budgets projection from it to follow spending against them.",
    key: 'budget id',
    partitions: 3,
    carriesSecrets: false,
    readers: 'any',
  },
  'analytics.budget.v1': {
    owner: 'analytics-service',
    description: "What analytics-service finds about budgets: a budget's current period crossed 80 % or 100 % of its amount (once per budget, period and threshold). notification-service tells the budget's owner.",
    key: 'budget id',
    partitions: 3,
    carriesSecrets: false,
    readers: 'any',
  },
  'payment.settlement.v1': {
    owner: 'payment-service',
    description: "Settlements between two people, in a group or between friends: recorded, confirmed by each side, completed (balances move), cancelled, reversed (refunds), overdue (reminders). expense-service and group-service move balances and mark shares settled from it.",
    key: 'settlement id',
    partitions: 3,
    carriesSecrets: false,
    readers: 'any',
  },
  'payment.payment.v1': {
    owner: 'payment-service',
    description: 'Payments for settlements through a provider (Stripe, sandbox): created, processing, completed, failed, cancelled, refunded. Never carries payment-method details.',
    key: 'payment id',
    partitions: 3,
    carriesSecrets: false,
    readers: 'any',
  },
  'group.invitation.v1': {
    owner: 'group-service',
    description: "Invitations to a group by email or phone: sent (with the address, which notification-service mails), accepted, declined, revoked, expired. Accepting needs the invitee's verified address, so the invitation id is not a secret.",
    key: 'invitation id',
    partitions: 3,
    carriesSecrets: false,
    readers: 'any',
  },
};
