import {
  DeviceEventData, EmailVerificationRequestedData, EventDeclarations, EventMap, EventRegistry, EventSchemas, EventTopics, EventType,
  FriendshipEventData, PasswordResetRequestedData, SigningKeyPublishedData, UserEmailVerifiedData, UserProfileUpdatedData,
  UserRegisteredData, UserStatusChangedData, eventTypesOn, isEventType,
} from './events';
import { ALL_TOPICS, TopicConfig } from './topics';

/** True only when A and B are the same type (not merely mutually assignable through `any`). */
type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function assertType<T extends true>(): T | void {
  return undefined;
}

// The payload types as they were written by hand before they were derived from the schemas: the
// derived ones must be exactly these (nullable stays `| null`, enums stay unions, optional stays `?`).
interface Old {
  'user.registered': {
    userId: string; username: string; email: string; firstName: string | null; lastName: string | null;
    preferredCurrency: string; timezone: string; dateJoined: string;
  };
  'user.email_verified': { userId: string; email: string; verifiedAt: string };
  'email_verification.requested': { userId: string; email: string; token: string; expiresAt: string; firstName: string | null };
  'signing_key.published': {
    kid: string;
    alg: 'ES256';
    // The schema always pinned these to EC / P-256; the type now says so too (it said `string`).
    publicJwk: { kty: 'EC'; crv: 'P-256'; x: string; y: string };
    status: 'pending' | 'active' | 'retired' | 'revoked';
    createdAt: string;
    // Added 2026-12-06 (optional: older auths' events lack it): how long the key's tokens live.
    tokenLifetimeSeconds?: number;
  };
  'user.profile_updated': {
    userId: string; username: string; firstName: string | null; lastName: string | null; preferredCurrency: string;
    timezone: string; profileVisibility: 'public' | 'friends' | 'private'; updatedAt: string;
  };
  status: { userId: string; at: string; byUserId: string | null; role?: 'user' | 'premium' | 'admin'; lockedUntil?: string | null };
  'password_reset.requested': { userId: string; email: string; token: string; expiresAt: string; firstName: string | null };
  friendship: {
    friendshipId: string; fromUserId: string; toUserId: string; status: 'pending' | 'accepted' | 'declined' | 'blocked' | 'removed';
    byUserId: string; message: string | null; at: string;
  };
  device: {
    deviceId: string; userId: string; deviceType: 'ios' | 'android' | 'web'; deviceName: string | null; deviceToken: string;
    isActive: boolean; at: string;
  };
}

/** Plain object types, so Equals compares members, not how json-schema-to-ts spells them. */
type Flat<T> = T extends object ? { [K in keyof T]: Flat<T[K]> } : T;

assertType<Equals<Flat<UserRegisteredData>, Old['user.registered']>>();
assertType<Equals<Flat<UserEmailVerifiedData>, Old['user.email_verified']>>();
assertType<Equals<Flat<EmailVerificationRequestedData>, Old['email_verification.requested']>>();
assertType<Equals<Flat<SigningKeyPublishedData>, Old['signing_key.published']>>();
assertType<Equals<Flat<UserProfileUpdatedData>, Old['user.profile_updated']>>();
assertType<Equals<Flat<UserStatusChangedData>, Old['status']>>();
assertType<Equals<Flat<PasswordResetRequestedData>, Old['password_reset.requested']>>();
assertType<Equals<Flat<FriendshipEventData>, Old['friendship']>>();
assertType<Equals<Flat<DeviceEventData>, Old['device']>>();
for (const t of ['user.deactivated', 'user.reactivated', 'user.locked', 'user.unlocked', 'user.password_changed', 'user.role_changed'] as const) {
  assertType<Equals<Flat<EventMap[typeof t]>, Old['status']>>();
}
assertType<
  Equals<
    EventType,
    | 'user.registered' | 'user.email_verified' | 'email_verification.requested' | 'signing_key.published' | 'user.profile_updated'
    | 'user.deactivated' | 'user.reactivated' | 'user.locked' | 'user.unlocked' | 'user.password_changed' | 'user.role_changed'
    | 'email_verification.registration_attempted'
    | 'password_reset.requested' | 'friendship.requested' | 'friendship.accepted' | 'friendship.declined' | 'friendship.blocked'
    | 'friendship.removed' | 'device.registered' | 'device.removed' | 'user.phone_changed'
    | 'group.created' | 'group.updated' | 'group.archived' | 'group.unarchived' | 'group.deleted' | 'group.invite_code_changed'
    | 'membership.joined' | 'membership.role_changed' | 'membership.left' | 'membership.removed' | 'membership.declined' | 'membership.preferences_updated'
    | 'invitation.created' | 'invitation.accepted' | 'invitation.declined' | 'invitation.revoked' | 'invitation.expired'
    | 'expense.created' | 'expense.updated' | 'expense.deleted' | 'expense.restored' | 'expense.approved'
    | 'comment.created' | 'comment.updated' | 'comment.deleted'
    | 'recurring_expense.created' | 'recurring_expense.updated' | 'recurring_expense.paused' | 'recurring_expense.resumed' | 'recurring_expense.deleted' | 'recurring_expense.deactivated'
    | 'budget.created' | 'budget.updated' | 'budget.deleted' | 'budget.threshold_crossed'
    | 'settlement.created' | 'settlement.confirmed' | 'settlement.completed' | 'settlement.cancelled' | 'settlement.reversed' | 'settlement.overdue'
    | 'payment.created' | 'payment.processing' | 'payment.completed' | 'payment.failed' | 'payment.cancelled' | 'payment.refunded'
  >
>();

describe('event declarations', () => {
  it('declare each event type once', () => {
    const types = EventDeclarations.map((d) => d.type);
    expect(new Set(types).size).toBe(types.length);
    expect(Object.keys(EventRegistry).sort()).toEqual([...types].sort());
    expect(Object.keys(EventTopics).sort()).toEqual([...types].sort());
    expect(Object.keys(EventSchemas).sort()).toEqual([...types].sort());
  });

  it('name event types `<aggregate>.<verb>` in lower case', () => {
    for (const d of EventDeclarations) expect(d.type).toMatch(/^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$/);
  });

  it('put every event on a known topic, and every topic carries some event', () => {
    for (const d of EventDeclarations) expect(ALL_TOPICS).toContain(d.topic);
    for (const topic of ALL_TOPICS) expect(eventTypesOn(topic).length).toBeGreaterThan(0);
  });

  it('close every payload object, so publishers validate strictly', () => {
    const open: string[] = [];
    const walk = (s: unknown, at: string) => {
      if (!s || typeof s !== 'object') return;
      const o = s as Record<string, unknown>;
      if (o.type === 'object' && o.additionalProperties !== false) open.push(at);
      for (const [k, v] of Object.entries((o.properties as Record<string, unknown>) ?? {})) walk(v, `${at}/${k}`);
    };
    for (const d of EventDeclarations) walk(d.schema, d.type);
    expect(open).toEqual([]);
  });

  it('describe every event', () => {
    for (const d of EventDeclarations) expect(d.description.length).toBeGreaterThan(10);
  });

  it('know a topic for the secrets-carrying events, read only by notification-service', () => {
    expect(TopicConfig[EventTopics['email_verification.requested']]).toMatchObject({ carriesSecrets: true, readers: ['notification-service'] });
    expect(TopicConfig[EventTopics['user.registered']]).toMatchObject({ carriesSecrets: false, readers: 'any' });
    // A phone number is personal data: not on auth.user.v1 (every service, the audit log), only where notification-service reads it.
    expect(EventTopics['user.phone_changed']).toBe('auth.phone-number.v1');
    expect(TopicConfig[EventTopics['user.phone_changed']]).toMatchObject({ carriesSecrets: true, readers: ['notification-service'] });
  });

  it('put comments on expense.comment.v1, their own topic, keyed by comment id, that any service may read', () => {
    for (const t of ['comment.created', 'comment.updated', 'comment.deleted'] as const) expect(EventTopics[t]).toBe('expense.comment.v1');
    expect(TopicConfig['expense.comment.v1']).toMatchObject({ owner: 'expense-service', key: 'comment id', carriesSecrets: false, readers: 'any' });
  });

  it('put budgets on expense.budget.v1 and their threshold crossings on analytics.budget.v1, both keyed by budget id', () => {
    for (const t of ['budget.created', 'budget.updated', 'budget.deleted'] as const) expect(EventTopics[t]).toBe('expense.budget.v1');
    expect(EventTopics['budget.threshold_crossed']).toBe('analytics.budget.v1');
    expect(TopicConfig['expense.budget.v1']).toMatchObject({ owner: 'expense-service', key: 'budget id', readers: 'any' });
    expect(TopicConfig['analytics.budget.v1']).toMatchObject({ owner: 'analytics-service', key: 'budget id', readers: 'any' });
  });

  it('isEventType tells declared types from others', () => {
    expect(isEventType('user.registered')).toBe(true);
    expect(isEventType('user.deleted')).toBe(false);
    expect(isEventType('toString')).toBe(false);
  });
});
