import type { FromSchema, JSONSchema } from 'json-schema-to-ts';
import { Topics, TopicName } from './topics';
import type { EventEnvelope } from './envelope';

/**
 * Every event is declared once, here: its type, its topic, what it means, and the JSON Schema
 * (draft-07) of its payload written `as const`. The payload's TypeScript type is derived from that
 * schema (`FromSchema`, a type-only import: this library stays free of runtime dependencies), and
 * the topic map, the validators (libs/messaging) and the AsyncAPI document (asyncapi.ts) are all
 * read from the same declarations.
 *
 * Payload schemas are closed (`additionalProperties: false`) at every level: publishers validate
 * strictly against them; consumers validate with a tolerant copy that allows unknown fields.
 * A field is nullable as `type: [<type>, 'null']`; optional when it is not `required`.
 */
export interface EventDeclaration<TType extends string = string, TSchema extends PayloadSchema = PayloadSchema> {
  /** Past tense, `<aggregate>.<verb>`, e.g. `user.registered`. Never renamed once shipped. */
  readonly type: TType;
  /** The topic it is published on (its aggregate's). */
  readonly topic: TopicName;
  /** What happened, for people (the AsyncAPI document shows it). */
  readonly description: string;
  /** JSON Schema of the envelope's `data`. */
  readonly schema: TSchema;
}

/** A payload schema: a JSON object. */
export type PayloadSchema = JSONSchema & { readonly type: 'object' };

/** Declares one event (identity at run time; keeps the literal types of `type` and `schema`). */
export function defineEvent<const TType extends string, const TSchema extends PayloadSchema>(
  declaration: EventDeclaration<TType, TSchema>,
): EventDeclaration<TType, TSchema> {
  return declaration;
}

// ---- schema fragments ----------------------------------------------------------------------

const uuid = { type: 'string', format: 'uuid' } as const;
const dateTime = { type: 'string', format: 'date-time' } as const;
const email = { type: 'string', format: 'email', maxLength: 254 } as const;
const username = { type: 'string', minLength: 1, maxLength: 150 } as const;
const nullableName = { type: ['string', 'null'], maxLength: 150 } as const;
const nullableUuid = { type: ['string', 'null'], format: 'uuid' } as const;
const currency = { type: 'string', pattern: '^[A-Z]{3}$' } as const;
const timezone = { type: 'string', minLength: 1, maxLength: 50 } as const;
const secretToken = { type: 'string', minLength: 20, maxLength: 100 } as const;

// ---- auth-service: payload schemas shared by several event types ----------------------------

/** A single-use token sent by email; carries a secret, so it travels on a topic only notification-service reads. */
const tokenMailSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['userId', 'email', 'token', 'expiresAt', 'firstName'],
  properties: { userId: uuid, email, token: secretToken, expiresAt: dateTime, firstName: nullableName },
} as const;

/** A change of an account's status; `role` on user.role_changed, `lockedUntil` on user.locked / user.unlocked. */
const userStatusSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['userId', 'at', 'byUserId'],
  properties: {
    userId: uuid,
    at: dateTime,
    /** Who did it; null for the system (lockout, the create-admin command, a password reset). */
    byUserId: nullableUuid,
    role: { enum: ['user', 'premium', 'admin'] },
    lockedUntil: { type: ['string', 'null'], format: 'date-time' },
  },
} as const;

const friendshipSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['friendshipId', 'fromUserId', 'toUserId', 'status', 'byUserId', 'message', 'at'],
  properties: {
    friendshipId: uuid,
    fromUserId: uuid,
    toUserId: uuid,
    status: { enum: ['pending', 'accepted', 'declined', 'blocked', 'removed'] },
    /** Who did it. */
    byUserId: uuid,
    message: { type: ['string', 'null'], maxLength: 500 },
    at: dateTime,
  },
} as const;

/** Carries a push token: on `auth.device.v1`, read only by notification-service. */
const deviceSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['deviceId', 'userId', 'deviceType', 'deviceName', 'deviceToken', 'isActive', 'at'],
  properties: {
    deviceId: uuid,
    userId: uuid,
    deviceType: { enum: ['ios', 'android', 'web'] },
    deviceName: { type: ['string', 'null'], maxLength: 100 },
    // APNs/FCM tokens (≤ 255) or a web device's PushSubscription JSON (≤ 2048; auth-service validates it).
    deviceToken: { type: 'string', minLength: 1, maxLength: 2048 },
    isActive: { type: 'boolean' },
    at: dateTime,
  },
} as const;

/**
 * A user's phone number as auth holds it now (null: cleared). Personal data, so on
 * `auth.phone-number.v1`, read only by notification-service. Auth does not verify phone numbers:
 * the number is the user's own claim.
 */
const phoneNumberSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['userId', 'phoneNumber', 'at'],
  properties: {
    userId: uuid,
    phoneNumber: { type: ['string', 'null'], pattern: '^\\+[1-9][0-9]{6,15}$' },
    at: dateTime,
  },
} as const;

// ---- group-service: payload schemas ---------------------------------------------------------

export const GROUP_TYPES = ['personal', 'trip', 'home', 'couple', 'project', 'other'] as const;
export const GROUP_ROLES = ['admin', 'member', 'viewer'] as const;
export const MEMBERSHIP_STATUSES = ['pending', 'accepted', 'declined', 'left', 'removed'] as const;
export const INVITATION_STATUSES = ['pending', 'accepted', 'declined', 'revoked', 'expired'] as const;
/**
 * A member's notification preferences for one group (`group_memberships.notification_preferences`):
 * each key true (notify) or false; a missing key means true. `muted` silences the group altogether.
 */
export const GROUP_NOTIFICATION_KEYS = ['expenses', 'comments', 'settlements', 'members', 'muted'] as const;

/** A group as it is after the change. Never carries the invite code (a join secret). */
const groupSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['groupId', 'name', 'description', 'groupType', 'image', 'currency', 'isPrivate', 'isArchived', 'isActive', 'memberCount', 'byUserId', 'at'],
  properties: {
    groupId: uuid,
    name: { type: 'string', minLength: 1, maxLength: 100 },
    description: { type: ['string', 'null'], maxLength: 2000 },
    groupType: { enum: GROUP_TYPES },
    image: { type: ['string', 'null'], maxLength: 255 },
    /** The default currency, ISO 4217. */
    currency,
    isPrivate: { type: 'boolean' },
    isArchived: { type: 'boolean' },
    isActive: { type: 'boolean' },
    /** Expenses wait for an admin's approval before they count in balances. */
    requiresApproval: { type: 'boolean' },
    /** Suggested transfers are the fewest possible (true) or follow who owes whom directly (false). */
    simplifyDebts: { type: 'boolean' },
    memberCount: { type: 'integer', minimum: 0 },
    /** Who did it. */
    byUserId: uuid,
    /** group.updated: the fields that changed. */
    changed: { type: 'array', items: { type: 'string', maxLength: 50 }, maxItems: 20 },
    /** group.invite_code_changed: whether joining by code is now possible. */
    inviteCodeEnabled: { type: 'boolean' },
    at: dateTime,
  },
} as const;

/** A membership as it is after the change (one row per user and group; `isActive` only when accepted). */
const membershipSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['membershipId', 'groupId', 'userId', 'role', 'status', 'isActive', 'byUserId', 'at'],
  properties: {
    membershipId: uuid,
    groupId: uuid,
    userId: uuid,
    role: { enum: GROUP_ROLES },
    status: { enum: MEMBERSHIP_STATUSES },
    isActive: { type: 'boolean' },
    /** Who did it: the member, or the admin who changed or removed them. */
    byUserId: uuid,
    /** membership.joined: how. */
    via: { enum: ['created', 'code', 'invitation'] },
    /** membership.role_changed: the role before. */
    previousRole: { enum: GROUP_ROLES },
    /** membership.preferences_updated: the member's notification preferences for this group. */
    notificationPreferences: {
      type: 'object',
      additionalProperties: false,
      properties: {
        expenses: { type: 'boolean' }, comments: { type: 'boolean' }, settlements: { type: 'boolean' }, members: { type: 'boolean' }, muted: { type: 'boolean' },
      },
    },
    at: dateTime,
  },
} as const;

/** An invitation as it is after the change. Email or phone, never both. */
const invitationSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['invitationId', 'groupId', 'groupName', 'invitedById', 'inviterName', 'email', 'phoneNumber', 'message', 'status', 'expiresAt', 'acceptedById', 'byUserId', 'at'],
  properties: {
    invitationId: uuid,
    groupId: uuid,
    groupName: { type: 'string', minLength: 1, maxLength: 100 },
    invitedById: uuid,
    /** How the invitation names the inviter: first name, else username. */
    inviterName: { type: ['string', 'null'], maxLength: 150 },
    email: { type: ['string', 'null'], format: 'email', maxLength: 254 },
    /** E.164. */
    phoneNumber: { type: ['string', 'null'], pattern: '^\\+[1-9][0-9]{6,14}$' },
    message: { type: ['string', 'null'], maxLength: 500 },
    status: { enum: INVITATION_STATUSES },
    expiresAt: dateTime,
    acceptedById: nullableUuid,
    /** Who did it; null when it expired by itself. */
    byUserId: nullableUuid,
    at: dateTime,
  },
} as const;

// ---- expense-service: payload schemas -------------------------------------------------------

export const SPLIT_TYPES = ['equal', 'exact', 'percentage', 'shares', 'adjustment', 'itemized'] as const;

/** A positive amount as a decimal string, in the currency's minor units at most (3 decimals: BHD). */
const amount = { type: 'string', pattern: '^(0|[1-9][0-9]{0,12})(\\.[0-9]{1,3})?$', maxLength: 17 } as const;
/** US dollars per unit of the expense's currency, snapshotted when it was saved; null when no rate was known. */
const rateToUsd = { type: ['string', 'null'], pattern: '^[0-9]{1,10}(\\.[0-9]{1,10})?$' } as const;
const parts = { type: 'array', minItems: 1, maxItems: 200, items: { type: 'object', additionalProperties: false, required: ['userId', 'amount'], properties: { userId: uuid, amount } } } as const;

/** What an expense moves: who paid how much, who owes how much (each list sums exactly to `amount`). */
const expenseMoneySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['amount', 'currency', 'payers', 'shares', 'isApproved', 'isDeleted'],
  properties: { amount, currency, rateToUsd, payers: parts, shares: parts, isApproved: { type: 'boolean' }, isDeleted: { type: 'boolean' } },
} as const;

/** An expense as it is after the change. It counts in balances only while approved and not deleted. */
const expenseSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['expenseId', 'groupId', 'title', 'amount', 'currency', 'expenseDate', 'categoryId', 'splitType', 'payers', 'shares', 'isApproved', 'isDeleted', 'byUserId', 'at'],
  properties: {
    expenseId: uuid,
    /** null: between friends, outside groups. */
    groupId: nullableUuid,
    title: { type: 'string', minLength: 1, maxLength: 200 },
    amount,
    currency,
    rateToUsd,
    expenseDate: { type: 'string', format: 'date' },
    categoryId: nullableUuid,
    splitType: { enum: SPLIT_TYPES },
    payers: parts,
    shares: parts,
    isApproved: { type: 'boolean' },
    isDeleted: { type: 'boolean' },
    /** Who did it. */
    byUserId: uuid,
    /** expense.updated (and deleted/restored/approved): what it moved before, so a consumer can take the old effect back. */
    previous: expenseMoneySchema,
    /** expense.created of an occurrence expense-worker generated from a recurring expense (nobody added it by hand); absent or null otherwise. */
    recurringExpenseId: nullableUuid,
    at: dateTime,
  },
} as const;

/** How often a recurring expense repeats (libs/money `FREQUENCIES`; `interval` multiplies it). */
export const RECURRING_FREQUENCIES = ['daily', 'weekly', 'biweekly', 'monthly', 'yearly'] as const;
/** Why expense-worker deactivated a recurring expense by itself: the domain error that stopped an occurrence. */
const recurringReason = { type: ['string', 'null'], minLength: 1, maxLength: 100 } as const;

/**
 * A recurring expense (a template) as it is after the change. Dates are UTC calendar dates; the n-th
 * occurrence is computed from `startDate` (docs/adr/0014), `nextDueDate` is the next one to generate.
 */
const recurringExpenseSchema = {
  type: 'object',
  additionalProperties: false,
  required: [
    'recurringExpenseId', 'groupId', 'title', 'amount', 'currency', 'categoryId', 'frequency', 'interval', 'paidById', 'createdById', 'participantIds',
    'startDate', 'endDate', 'nextDueDate', 'splitType', 'isActive', 'isPaused', 'pausedUntil', 'reason', 'byUserId', 'at',
  ],
  properties: {
    recurringExpenseId: uuid,
    /** null: between friends, outside groups. */
    groupId: nullableUuid,
    title: { type: 'string', minLength: 1, maxLength: 200 },
    amount,
    currency,
    categoryId: nullableUuid,
    frequency: { enum: RECURRING_FREQUENCIES },
    interval: { type: 'integer', minimum: 1, maximum: 1000 },
    paidById: uuid,
    createdById: uuid,
    /** The payer and everyone in the split, each once. */
    participantIds: { type: 'array', maxItems: 400, uniqueItems: true, items: uuid },
    startDate: { type: 'string', format: 'date' },
    endDate: { type: ['string', 'null'], format: 'date' },
    nextDueDate: { type: 'string', format: 'date' },
    splitType: { enum: SPLIT_TYPES },
    isActive: { type: 'boolean' },
    isPaused: { type: 'boolean' },
    /** Paused until this date: generation resumes on it (its occurrence included); null: paused until resumed, or not paused. */
    pausedUntil: { type: ['string', 'null'], format: 'date' },
    /** recurring_expense.deactivated: why it can no longer generate (e.g. NOT_A_PARTICIPANT, GROUP_NOT_FOUND); null otherwise. */
    reason: recurringReason,
    /** Who did it; null when expense-worker did (recurring_expense.deactivated). */
    byUserId: nullableUuid,
    at: dateTime,
  },
} as const;

/** The longest comment on an expense, in characters (code points). */
export const COMMENT_MAX_CHARS = 5000;

/**
 * A comment on an expense (or a reply to one), as it is after the change. `participantIds` are the
 * expense's payers and share owners (who is "in" it), `parentAuthorId` the author of the comment it
 * replies to: what notification-service needs to tell the right people without asking anyone.
 */
const commentSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['commentId', 'expenseId', 'groupId', 'userId', 'parentId', 'parentAuthorId', 'expenseTitle', 'participantIds', 'comment', 'isEdited', 'byUserId', 'at'],
  properties: {
    commentId: uuid,
    expenseId: uuid,
    /** null: an expense between friends, outside groups. */
    groupId: nullableUuid,
    /** The comment's author. */
    userId: uuid,
    /** The comment it replies to; null for a comment on the expense itself. */
    parentId: nullableUuid,
    /** The author of the parent comment; null when it is not a reply. */
    parentAuthorId: nullableUuid,
    expenseTitle: { type: 'string', minLength: 1, maxLength: 200 },
    /** The expense's payers and share owners, each once. */
    participantIds: { type: 'array', maxItems: 400, uniqueItems: true, items: uuid },
    /** The whole text (comment.created, comment.updated); null on comment.deleted: a deleted comment's text does not travel again. */
    comment: { type: ['string', 'null'], minLength: 1, maxLength: COMMENT_MAX_CHARS },
    isEdited: { type: 'boolean' },
    /** Who did it: the author, or (comment.deleted) a group admin. */
    byUserId: uuid,
    at: dateTime,
  },
} as const;

/** The periods a budget repeats over (`BUDGET_PERIODS` of @tally/money, which computes them). */
export const BUDGET_PERIOD_VALUES = ['weekly', 'monthly', 'yearly'] as const;
/** A budget threshold analytics-service announces: a share of the amount, in per cent. */
export const BUDGET_THRESHOLDS = [80, 100] as const;
/** A non-negative sum of amounts (a period's spending can pass the 13 digits of one amount). */
const total = { type: 'string', pattern: '^(0|[1-9][0-9]{0,15})(\\.[0-9]{1,3})?$', maxLength: 20 } as const;
const calendarDate = { type: 'string', format: 'date' } as const;

/**
 * A budget as it is after the change: `amount` of `currency` per `period` (anchored on `startDate`,
 * end exclusive, see @tally/money `periodContaining`), for spending in `categoryId` (null: every
 * category), until `endDate` (inclusive; null: open-ended). `categoryName` is the category's name
 * when the budget was saved, so consumers can say it without asking expense-service.
 */
const budgetSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['budgetId', 'userId', 'categoryId', 'categoryName', 'amount', 'currency', 'period', 'startDate', 'endDate', 'isDeleted', 'createdAt', 'byUserId', 'at'],
  properties: {
    budgetId: uuid,
    /** The owner. */
    userId: uuid,
    categoryId: nullableUuid,
    categoryName: { type: ['string', 'null'], maxLength: 100 },
    amount,
    currency,
    period: { enum: BUDGET_PERIOD_VALUES },
    startDate: calendarDate,
    endDate: { type: ['string', 'null'], format: 'date' },
    isDeleted: { type: 'boolean' },
    createdAt: dateTime,
    /** Who did it (the owner). */
    byUserId: uuid,
    at: dateTime,
  },
} as const;

/**
 * A budget's current period reached `threshold` per cent of its amount: `spent` × 100 ≥ `amount` ×
 * `threshold`, where `spent` is the owner's share of approved, not deleted expenses in the budget's
 * category and currency dated in [`periodStart`, `periodEnd`). Published once per budget, period
 * and threshold; a jump straight past 100 % announces only 100.
 */
const budgetThresholdSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['budgetId', 'userId', 'categoryId', 'categoryName', 'currency', 'amount', 'spent', 'threshold', 'periodStart', 'periodEnd', 'at'],
  properties: {
    budgetId: uuid,
    /** The budget's owner, whose spending it is. */
    userId: uuid,
    categoryId: nullableUuid,
    categoryName: { type: ['string', 'null'], maxLength: 100 },
    currency,
    amount,
    spent: total,
    threshold: { enum: BUDGET_THRESHOLDS },
    periodStart: calendarDate,
    /** Exclusive: the first day of the next period (or the day after the budget's end date). */
    periodEnd: calendarDate,
    at: dateTime,
  },
} as const;

// ---- payment-service: payload schemas -------------------------------------------------------

export const SETTLEMENT_METHODS = ['manual', 'automatic', 'external'] as const;
/** The seed's `payment_status` type: payments use all of it; settlements pending → completed | cancelled, completed → refunded. */
export const PAYMENT_STATUSES = ['pending', 'processing', 'completed', 'failed', 'refunded', 'cancelled'] as const;
export const SETTLEMENT_STATUSES = PAYMENT_STATUSES;

/**
 * A settlement: `payerId` pays `payeeId` `amount` of `currency`, in a group or (groupId null) between
 * two friends. Once `completed`, it moves balances exactly as an expense paid by the payer and owed by
 * the payee would; `refunded` (settlement.reversed) takes that back.
 */
const settlementSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['settlementId', 'groupId', 'payerId', 'payeeId', 'amount', 'currency', 'method', 'status', 'isConfirmedByPayer', 'isConfirmedByPayee', 'dueDate', 'byUserId', 'at'],
  properties: {
    settlementId: uuid,
    groupId: nullableUuid,
    payerId: uuid,
    payeeId: uuid,
    amount,
    currency,
    method: { enum: SETTLEMENT_METHODS },
    status: { enum: SETTLEMENT_STATUSES },
    isConfirmedByPayer: { type: 'boolean' },
    isConfirmedByPayee: { type: 'boolean' },
    dueDate: { type: ['string', 'null'], format: 'date-time' },
    completedAt: { type: ['string', 'null'], format: 'date-time' },
    /** The payment that completed (or refunded) it, when a provider did. */
    paymentId: nullableUuid,
    /** Who did it; null when a provider's webhook or a schedule did. */
    byUserId: nullableUuid,
    at: dateTime,
  },
} as const;

/** A payment for a settlement through a provider; its status only moves forward (pending → processing → completed | failed | cancelled; completed → refunded). */
const paymentSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['paymentId', 'settlementId', 'payerId', 'payeeId', 'amount', 'currency', 'status', 'provider', 'processingFee', 'errorCode', 'at'],
  properties: {
    paymentId: uuid,
    settlementId: uuid,
    payerId: uuid,
    payeeId: uuid,
    amount,
    currency,
    status: { enum: PAYMENT_STATUSES },
    provider: { type: 'string', minLength: 1, maxLength: 50 },
    processingFee: { type: 'string', pattern: '^(0|[1-9][0-9]{0,12})(\\.[0-9]{1,3})?$' },
    errorCode: { type: ['string', 'null'], maxLength: 100 },
    at: dateTime,
  },
} as const;

// ---- the declarations ---------------------------------------------------------------------

/** Every event, once. Add new ones here; everything else follows. */
export const EventDeclarations = [
  // auth-service: auth.user.v1
  defineEvent({
    type: 'user.registered',
    topic: Topics.authUser,
    description: 'An account was created (not verified yet). Never carries a secret; the verification token goes separately as email_verification.requested.',
    schema: {
      type: 'object',
      additionalProperties: false,
      required: ['userId', 'username', 'email', 'firstName', 'lastName', 'preferredCurrency', 'timezone', 'dateJoined'],
      properties: {
        userId: uuid,
        username,
        email,
        firstName: nullableName,
        lastName: nullableName,
        preferredCurrency: currency,
        timezone,
        dateJoined: dateTime,
      },
    },
  }),
  defineEvent({
    type: 'user.email_verified',
    topic: Topics.authUser,
    description: 'The user proved they own the email address.',
    schema: {
      type: 'object',
      additionalProperties: false,
      required: ['userId', 'email', 'verifiedAt'],
      properties: { userId: uuid, email: { type: 'string', format: 'email' }, verifiedAt: dateTime },
    },
  }),
  defineEvent({
    type: 'user.profile_updated',
    topic: Topics.authUser,
    description: 'One of the public fields of the account (username, names, preferred currency, timezone, profile visibility) changed.',
    schema: {
      type: 'object',
      additionalProperties: false,
      required: ['userId', 'username', 'firstName', 'lastName', 'preferredCurrency', 'timezone', 'profileVisibility', 'updatedAt'],
      properties: {
        userId: uuid,
        username,
        firstName: nullableName,
        lastName: nullableName,
        preferredCurrency: currency,
        timezone,
        profileVisibility: { enum: ['public', 'friends', 'private'] },
        updatedAt: dateTime,
      },
    },
  }),
  defineEvent({ type: 'user.deactivated', topic: Topics.authUser, description: 'An admin deactivated the account; its tokens stop working everywhere.', schema: userStatusSchema }),
  defineEvent({ type: 'user.reactivated', topic: Topics.authUser, description: 'An admin reactivated the account.', schema: userStatusSchema }),
  defineEvent({ type: 'user.locked', topic: Topics.authUser, description: 'Too many failed logins in a row locked the account until `lockedUntil`.', schema: userStatusSchema }),
  defineEvent({ type: 'user.unlocked', topic: Topics.authUser, description: 'A lockout was lifted: by an admin, or (byUserId = the user) by a right password checked while concurrent failures locked the account.', schema: userStatusSchema }),
  defineEvent({ type: 'user.password_changed', topic: Topics.authUser, description: 'The password was changed (by the user) or reset (byUserId null); every session was ended.', schema: userStatusSchema }),
  defineEvent({ type: 'user.role_changed', topic: Topics.authUser, description: 'The platform role changed to `role`.', schema: userStatusSchema }),

  // auth-service: auth.email-verification.v1 (secret)
  defineEvent({
    type: 'email_verification.requested',
    topic: Topics.authEmailVerification,
    description: 'A verification email is to be sent, with its single-use token (a secret: this topic is read only by notification-service).',
    schema: tokenMailSchema,
  }),
  defineEvent({
    type: 'email_verification.registration_attempted',
    topic: Topics.authEmailVerification,
    description:
      'Someone tried to register a new account with the email address of this existing one. The API answered as for a new account (it never tells whether an address has one); the owner is told by email instead.',
    schema: {
      type: 'object',
      additionalProperties: false,
      required: ['userId', 'email', 'username', 'firstName', 'attemptedAt'],
      properties: { userId: uuid, email, username, firstName: nullableName, attemptedAt: dateTime },
    },
  }),

  // auth-service: auth.signing-key.v1 (compacted)
  defineEvent({
    type: 'signing_key.published',
    topic: Topics.authSigningKey,
    description: 'A signing key was announced (pending), started signing (active), retired or revoked. Only the public JWK; retired keys keep verifying the tokens they signed until those expire; revoked keys verify nothing.',
    schema: {
      type: 'object',
      additionalProperties: false,
      required: ['kid', 'alg', 'publicJwk', 'status', 'createdAt'],
      properties: {
        kid: { type: 'string', minLength: 1, maxLength: 100 },
        alg: { const: 'ES256' },
        /** Public JWK (kty, crv, x, y); never the private part. */
        publicJwk: {
          type: 'object',
          required: ['kty', 'crv', 'x', 'y'],
          additionalProperties: false,
          properties: { kty: { const: 'EC' }, crv: { const: 'P-256' }, x: { type: 'string' }, y: { type: 'string' } },
        },
        /** pending: announced, not signing yet; active: signing; retired: verifies until its tokens expired; revoked: verifies nothing. */
        status: { enum: ['pending', 'active', 'retired', 'revoked'] },
        createdAt: dateTime,
        /**
         * The longest lifetime, in seconds, of any access token this key signs or signed (auth's
         * ACCESS_TOKEN_TTL_SECONDS, the largest any replica used with it): a retired key verifies that long
         * after its retirement, plus clock skew. Optional only for events of an auth older than it; a
         * consumer then assumes the default lifetime (900 s).
         */
        tokenLifetimeSeconds: { type: 'integer', minimum: 1, maximum: 86400 },
      },
    },
  }),

  // auth-service: auth.password-reset.v1 (secret)
  defineEvent({
    type: 'password_reset.requested',
    topic: Topics.authPasswordReset,
    description: 'A password reset email is to be sent, with its single-use token (a secret: this topic is read only by notification-service).',
    schema: tokenMailSchema,
  }),

  // auth-service: auth.friendship.v1
  defineEvent({ type: 'friendship.requested', topic: Topics.authFriendship, description: 'A user asked another to be friends (or reopened a declined request).', schema: friendshipSchema }),
  defineEvent({ type: 'friendship.accepted', topic: Topics.authFriendship, description: 'The recipient accepted the request.', schema: friendshipSchema }),
  defineEvent({ type: 'friendship.declined', topic: Topics.authFriendship, description: 'The recipient declined the request.', schema: friendshipSchema }),
  defineEvent({ type: 'friendship.blocked', topic: Topics.authFriendship, description: 'One party blocked the other.', schema: friendshipSchema }),
  defineEvent({ type: 'friendship.removed', topic: Topics.authFriendship, description: 'The request was cancelled, the friendship ended or the block lifted; the row is gone.', schema: friendshipSchema }),

  // auth-service: auth.device.v1 (secret: push tokens)
  defineEvent({ type: 'device.registered', topic: Topics.authDevice, description: 'A push device was registered, reactivated or changed.', schema: deviceSchema }),
  defineEvent({ type: 'device.removed', topic: Topics.authDevice, description: 'A push device was removed, or its install now belongs to another user.', schema: deviceSchema }),

  // auth-service: auth.phone-number.v1 (personal data)
  defineEvent({ type: 'user.phone_changed', topic: Topics.authPhoneNumber, description: "The user's phone number was set (at registration or later), changed or cleared (null). Not verified: the user's own claim.", schema: phoneNumberSchema }),

  // group-service: group.group.v1
  defineEvent({ type: 'group.created', topic: Topics.groupGroup, description: 'A group was created; its creator is its first admin (membership.joined follows, via created).', schema: groupSchema }),
  defineEvent({ type: 'group.updated', topic: Topics.groupGroup, description: 'An admin changed the group; `changed` names the fields.', schema: groupSchema }),
  defineEvent({ type: 'group.archived', topic: Topics.groupGroup, description: 'An admin archived the group: read-only, still visible to its members.', schema: groupSchema }),
  defineEvent({ type: 'group.unarchived', topic: Topics.groupGroup, description: 'An admin unarchived the group.', schema: groupSchema }),
  defineEvent({ type: 'group.deleted', topic: Topics.groupGroup, description: 'An admin deleted the group (it had no expenses); it is gone for everyone.', schema: groupSchema }),
  defineEvent({ type: 'group.invite_code_changed', topic: Topics.groupGroup, description: 'An admin rotated or disabled the join code (`inviteCodeEnabled`); the code itself never travels.', schema: groupSchema }),

  // group-service: group.membership.v1
  defineEvent({ type: 'membership.joined', topic: Topics.groupMembership, description: 'A user became an active member: creating the group, by its invite code, or by accepting an invitation (`via`).', schema: membershipSchema }),
  defineEvent({ type: 'membership.role_changed', topic: Topics.groupMembership, description: 'An admin changed a member\'s role (`previousRole` → `role`).', schema: membershipSchema }),
  defineEvent({ type: 'membership.left', topic: Topics.groupMembership, description: 'A member left the group.', schema: membershipSchema }),
  defineEvent({ type: 'membership.removed', topic: Topics.groupMembership, description: 'An admin removed a member.', schema: membershipSchema }),
  defineEvent({ type: 'membership.declined', topic: Topics.groupMembership, description: 'A user declined an invitation to the group (their membership row records it; not active).', schema: membershipSchema }),
  defineEvent({ type: 'membership.preferences_updated', topic: Topics.groupMembership, description: "A member changed their notification preferences for the group.", schema: membershipSchema }),

  // expense-service: expense.expense.v1
  defineEvent({ type: 'expense.created', topic: Topics.expenseExpense, description: 'An expense was added, with its payers and exact shares.', schema: expenseSchema }),
  defineEvent({ type: 'expense.updated', topic: Topics.expenseExpense, description: 'An expense was edited; `previous` is what it moved before (shares are recomputed only when the amount or the split changed).', schema: expenseSchema }),
  defineEvent({ type: 'expense.deleted', topic: Topics.expenseExpense, description: 'An expense was deleted (soft): it leaves the balances.', schema: expenseSchema }),
  defineEvent({ type: 'expense.restored', topic: Topics.expenseExpense, description: 'A deleted expense was restored: it counts in the balances again.', schema: expenseSchema }),
  defineEvent({ type: 'expense.approved', topic: Topics.expenseExpense, description: 'A group admin approved an expense of a group that requires approval: it now counts in the balances.', schema: expenseSchema }),

  // expense-service: expense.recurring-expense.v1
  defineEvent({ type: 'recurring_expense.created', topic: Topics.expenseRecurringExpense, description: 'A recurring expense was set up; expense-worker generates its occurrences from `startDate` on.', schema: recurringExpenseSchema }),
  defineEvent({ type: 'recurring_expense.updated', topic: Topics.expenseRecurringExpense, description: 'A recurring expense was edited; only occurrences not generated yet follow the change.', schema: recurringExpenseSchema }),
  defineEvent({ type: 'recurring_expense.paused', topic: Topics.expenseRecurringExpense, description: 'A recurring expense was paused (until `pausedUntil`, or until resumed); occurrences of the pause are skipped, not generated later.', schema: recurringExpenseSchema }),
  defineEvent({ type: 'recurring_expense.resumed', topic: Topics.expenseRecurringExpense, description: 'A paused recurring expense was resumed; `nextDueDate` is its next occurrence from today.', schema: recurringExpenseSchema }),
  defineEvent({ type: 'recurring_expense.deleted', topic: Topics.expenseRecurringExpense, description: 'A recurring expense was deleted (deactivated): it generates nothing more; the expenses it generated stay.', schema: recurringExpenseSchema }),
  defineEvent({ type: 'recurring_expense.deactivated', topic: Topics.expenseRecurringExpense, description: 'expense-worker deactivated a recurring expense that can no longer generate (`reason`: a participant left the group, the group is gone, the currency is no longer active...).', schema: recurringExpenseSchema }),

  // expense-service: expense.comment.v1
  defineEvent({ type: 'comment.created', topic: Topics.expenseComment, description: 'Someone who can see an expense commented on it, or replied to a comment (`parentId`, `parentAuthorId`).', schema: commentSchema }),
  defineEvent({ type: 'comment.updated', topic: Topics.expenseComment, description: 'The author edited their comment (`isEdited`); `comment` is the new text.', schema: commentSchema }),
  defineEvent({ type: 'comment.deleted', topic: Topics.expenseComment, description: 'The author or a group admin deleted a comment (its replies stay, no longer replies); `comment` is null.', schema: commentSchema }),

  // expense-service: expense.budget.v1
  defineEvent({ type: 'budget.created', topic: Topics.expenseBudget, description: 'A user set a budget for their spending (one category or all, one currency, per week, month or year).', schema: budgetSchema }),
  defineEvent({ type: 'budget.updated', topic: Topics.expenseBudget, description: 'The owner changed a budget (amount, period, dates, category or currency).', schema: budgetSchema }),
  defineEvent({ type: 'budget.deleted', topic: Topics.expenseBudget, description: 'The owner deleted a budget (soft): it is no longer followed.', schema: budgetSchema }),

  // analytics-service: analytics.budget.v1
  defineEvent({ type: 'budget.threshold_crossed', topic: Topics.analyticsBudget, description: "A budget's current period reached 80 % or 100 % of its amount (`threshold`), once per budget, period and threshold.", schema: budgetThresholdSchema }),

  // payment-service: payment.settlement.v1
  defineEvent({ type: 'settlement.created', topic: Topics.paymentSettlement, description: 'A settlement was recorded (by hand or from a suggested transfer); it moves nothing until it completes.', schema: settlementSchema }),
  defineEvent({ type: 'settlement.confirmed', topic: Topics.paymentSettlement, description: 'One party confirmed a pending settlement (`isConfirmedByPayer`, `isConfirmedByPayee` say who has).', schema: settlementSchema }),
  defineEvent({ type: 'settlement.completed', topic: Topics.paymentSettlement, description: 'Both parties confirmed, or a provider payment for it succeeded: balances move and the shares it pays are marked settled.', schema: settlementSchema }),
  defineEvent({ type: 'settlement.cancelled', topic: Topics.paymentSettlement, description: 'A party cancelled a pending settlement; it never moved anything.', schema: settlementSchema }),
  defineEvent({ type: 'settlement.reversed', topic: Topics.paymentSettlement, description: 'A completed settlement was refunded or reversed: its effect on balances and shares is taken back.', schema: settlementSchema }),
  defineEvent({ type: 'settlement.overdue', topic: Topics.paymentSettlement, description: 'A pending settlement passed its due date (published once per settlement by payment-worker\'s sweep): a reminder to its payer.', schema: settlementSchema }),

  // payment-service: payment.payment.v1
  defineEvent({ type: 'payment.created', topic: Topics.paymentPayment, description: 'A payment for a settlement was created at its provider.', schema: paymentSchema }),
  defineEvent({ type: 'payment.processing', topic: Topics.paymentPayment, description: 'The provider reported the payment as processing.', schema: paymentSchema }),
  defineEvent({ type: 'payment.completed', topic: Topics.paymentPayment, description: 'The provider reported the payment as succeeded; settlement.completed follows.', schema: paymentSchema }),
  defineEvent({ type: 'payment.failed', topic: Topics.paymentPayment, description: 'The provider reported the payment as failed (`errorCode`); the settlement stays pending.', schema: paymentSchema }),
  defineEvent({ type: 'payment.cancelled', topic: Topics.paymentPayment, description: 'The payment was cancelled before it completed.', schema: paymentSchema }),
  defineEvent({ type: 'payment.refunded', topic: Topics.paymentPayment, description: 'A completed payment was refunded; settlement.reversed follows.', schema: paymentSchema }),

  // group-service: group.invitation.v1
  defineEvent({ type: 'invitation.created', topic: Topics.groupInvitation, description: 'An admin invited an email address or phone number; notification-service sends the invitation with its link.', schema: invitationSchema }),
  defineEvent({ type: 'invitation.accepted', topic: Topics.groupInvitation, description: 'The invitee (the account whose verified email it was sent to) accepted; membership.joined follows.', schema: invitationSchema }),
  defineEvent({ type: 'invitation.declined', topic: Topics.groupInvitation, description: 'The invitee declined.', schema: invitationSchema }),
  defineEvent({ type: 'invitation.revoked', topic: Topics.groupInvitation, description: 'An admin revoked the pending invitation.', schema: invitationSchema }),
  defineEvent({ type: 'invitation.expired', topic: Topics.groupInvitation, description: 'The invitation reached its expiry unanswered (set by group-worker\'s sweep, without anyone asking).', schema: invitationSchema }),
] as const;

type Declared = (typeof EventDeclarations)[number];

/** Every event type with its payload type: the one typed map (like immich's EventMap), derived from the schemas. */
export type EventMap = { [D in Declared as D['type']]: FromSchema<D['schema']> };

export type EventType = keyof EventMap;
export type EventData<T extends EventType> = EventMap[T];

/** Each event type's declaration. */
export const EventRegistry = Object.fromEntries(EventDeclarations.map((d) => [d.type, d])) as {
  readonly [D in Declared as D['type']]: D;
};

/** Which topic each event type is published on. */
export const EventTopics = Object.fromEntries(EventDeclarations.map((d) => [d.type, d.topic])) as { readonly [T in EventType]: TopicName };

/** JSON Schemas (draft-07) of each payload; plain data, so this library has no runtime dependencies. */
export const EventSchemas = Object.fromEntries(EventDeclarations.map((d): [string, Readonly<Record<string, unknown>>] => [d.type, d.schema])) as {
  readonly [T in EventType]: Readonly<Record<string, unknown>>;
};

/** The event types published on `topic`, in declaration order. */
export function eventTypesOn(topic: TopicName): EventType[] {
  return EventDeclarations.filter((d) => d.topic === topic).map((d) => d.type);
}

export function isEventType(type: string): type is EventType {
  return Object.prototype.hasOwnProperty.call(EventTopics, type);
}

// ---- the payload types by name --------------------------------------------------------------

export type UserRegisteredData = EventData<'user.registered'>;
export type UserEmailVerifiedData = EventData<'user.email_verified'>;
/**
 * Carries a secret (the verification token), so it travels on its own topic that only
 * notification-service reads, never on `auth.user.v1` which every service and the audit log read.
 */
export type EmailVerificationRequestedData = EventData<'email_verification.requested'>;
/** On `auth.email-verification.v1` too: only notification-service reads it (it names the account of an address). */
export type RegistrationAttemptedData = EventData<'email_verification.registration_attempted'>;
/** A public signing key: every service keeps these to verify access tokens itself. */
export type SigningKeyPublishedData = EventData<'signing_key.published'>;
export type UserProfileUpdatedData = EventData<'user.profile_updated'>;
/** user.deactivated / reactivated / locked / unlocked / password_changed / role_changed. */
export type UserStatusChangedData = EventData<'user.deactivated'>;
/** Carries a secret: on `auth.password-reset.v1`, read only by notification-service. */
export type PasswordResetRequestedData = EventData<'password_reset.requested'>;
export type FriendshipEventData = EventData<'friendship.requested'>;
/** Carries a push token: on `auth.device.v1`, read only by notification-service. */
export type DeviceEventData = EventData<'device.registered'>;
/** Personal data: on `auth.phone-number.v1`, read only by notification-service. */
export type UserPhoneChangedData = EventData<'user.phone_changed'>;
export type GroupEventData = EventData<'group.created'>;
export type MembershipEventData = EventData<'membership.joined'>;
export type InvitationEventData = EventData<'invitation.created'>;
export type ExpenseEventData = EventData<'expense.created'>;
/** recurring_expense.created / updated / paused / resumed / deleted / deactivated on `expense.recurring-expense.v1`. */
export type RecurringExpenseEventData = EventData<'recurring_expense.created'>;
/** comment.created / updated / deleted on `expense.comment.v1`. */
export type CommentEventData = EventData<'comment.created'>;
/** budget.created / updated / deleted on `expense.budget.v1`. */
export type BudgetEventData = EventData<'budget.created'>;
/** budget.threshold_crossed on `analytics.budget.v1`. */
export type BudgetThresholdCrossedData = EventData<'budget.threshold_crossed'>;

/** The envelope of one event type, with its payload typed. */
export type EventOf<T extends EventType> = EventEnvelope<T, EventData<T>>;
