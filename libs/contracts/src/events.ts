import { Topics, TopicName } from './topics';

// ---- auth-service ----------------------------------------------------------

export interface UserRegisteredData {
  userId: string;
  username: string;
  email: string;
  firstName: string | null;
  lastName: string | null;
  preferredCurrency: string;
  timezone: string;
  dateJoined: string;
}

export interface UserEmailVerifiedData {
  userId: string;
  email: string;
  verifiedAt: string;
}

/**
 * Carries a secret (the verification token), so it travels on its own topic that only
 * notification-service reads, never on `auth.user.v1` which every service and the audit log read.
 */
export interface EmailVerificationRequestedData {
  userId: string;
  email: string;
  token: string;
  expiresAt: string;
  firstName: string | null;
}

/** A public signing key: every service keeps these to verify access tokens itself. */
export interface SigningKeyPublishedData {
  kid: string;
  alg: 'ES256';
  /** Public JWK (kty, crv, x, y); never the private part. */
  publicJwk: { kty: string; crv: string; x: string; y: string };
  status: 'active' | 'retired';
  createdAt: string;
}

export interface UserProfileUpdatedData {
  userId: string;
  username: string;
  firstName: string | null;
  lastName: string | null;
  preferredCurrency: string;
  timezone: string;
  profileVisibility: 'public' | 'friends' | 'private';
  updatedAt: string;
}

export interface UserStatusChangedData {
  userId: string;
  /** What changed, for user.deactivated / user.reactivated / user.locked / user.unlocked / user.password_changed / user.role_changed. */
  at: string;
  byUserId: string | null;
  role?: 'user' | 'premium' | 'admin';
  lockedUntil?: string | null;
}

/** Carries a secret: on `auth.password-reset.v1`, read only by notification-service. */
export interface PasswordResetRequestedData {
  userId: string;
  email: string;
  token: string;
  expiresAt: string;
  firstName: string | null;
}

export interface FriendshipEventData {
  friendshipId: string;
  fromUserId: string;
  toUserId: string;
  status: 'pending' | 'accepted' | 'declined' | 'blocked' | 'removed';
  /** Who did it. */
  byUserId: string;
  message: string | null;
  at: string;
}

/** Carries a push token: on `auth.device.v1`, read only by notification-service. */
export interface DeviceEventData {
  deviceId: string;
  userId: string;
  deviceType: 'ios' | 'android' | 'web';
  deviceName: string | null;
  deviceToken: string;
  isActive: boolean;
  at: string;
}

/** Every event type with its payload type: the one typed map (like immich's EventMap). */
export interface EventMap {
  'user.registered': UserRegisteredData;
  'user.email_verified': UserEmailVerifiedData;
  'email_verification.requested': EmailVerificationRequestedData;
  'signing_key.published': SigningKeyPublishedData;
  'user.profile_updated': UserProfileUpdatedData;
  'user.deactivated': UserStatusChangedData;
  'user.reactivated': UserStatusChangedData;
  'user.locked': UserStatusChangedData;
  'user.unlocked': UserStatusChangedData;
  'user.password_changed': UserStatusChangedData;
  'user.role_changed': UserStatusChangedData;
  'password_reset.requested': PasswordResetRequestedData;
  'friendship.requested': FriendshipEventData;
  'friendship.accepted': FriendshipEventData;
  'friendship.declined': FriendshipEventData;
  'friendship.blocked': FriendshipEventData;
  'friendship.removed': FriendshipEventData;
  'device.registered': DeviceEventData;
  'device.removed': DeviceEventData;
}

export type EventType = keyof EventMap;
export type EventData<T extends EventType> = EventMap[T];

/** Which topic each event type is published on. */
export const EventTopics: { [T in EventType]: TopicName } = {
  'user.registered': Topics.authUser,
  'user.email_verified': Topics.authUser,
  'email_verification.requested': Topics.authEmailVerification,
  'signing_key.published': Topics.authSigningKey,
  'user.profile_updated': Topics.authUser,
  'user.deactivated': Topics.authUser,
  'user.reactivated': Topics.authUser,
  'user.locked': Topics.authUser,
  'user.unlocked': Topics.authUser,
  'user.password_changed': Topics.authUser,
  'user.role_changed': Topics.authUser,
  'password_reset.requested': Topics.authPasswordReset,
  'friendship.requested': Topics.authFriendship,
  'friendship.accepted': Topics.authFriendship,
  'friendship.declined': Topics.authFriendship,
  'friendship.blocked': Topics.authFriendship,
  'friendship.removed': Topics.authFriendship,
  'device.registered': Topics.authDevice,
  'device.removed': Topics.authDevice,
};

const uuid = { type: 'string', format: 'uuid' } as const;
const dateTime = { type: 'string', format: 'date-time' } as const;
const nullableName = { type: ['string', 'null'], maxLength: 150 } as const;
const nullableUuid = { type: ['string', 'null'], format: 'uuid' } as const;

const userStatusSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['userId', 'at', 'byUserId'],
  properties: {
    userId: uuid,
    at: dateTime,
    byUserId: nullableUuid,
    role: { enum: ['user', 'premium', 'admin'] },
    lockedUntil: { type: ['string', 'null'], format: 'date-time' },
  },
};

const friendshipSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['friendshipId', 'fromUserId', 'toUserId', 'status', 'byUserId', 'message', 'at'],
  properties: {
    friendshipId: uuid,
    fromUserId: uuid,
    toUserId: uuid,
    status: { enum: ['pending', 'accepted', 'declined', 'blocked', 'removed'] },
    byUserId: uuid,
    message: { type: ['string', 'null'], maxLength: 500 },
    at: dateTime,
  },
};

const deviceSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['deviceId', 'userId', 'deviceType', 'deviceName', 'deviceToken', 'isActive', 'at'],
  properties: {
    deviceId: uuid,
    userId: uuid,
    deviceType: { enum: ['ios', 'android', 'web'] },
    deviceName: { type: ['string', 'null'], maxLength: 100 },
    deviceToken: { type: 'string', minLength: 1, maxLength: 255 },
    isActive: { type: 'boolean' },
    at: dateTime,
  },
};

/** JSON Schemas (draft-07) of each payload; plain data so this library has no runtime dependencies. */
export const EventSchemas: { [T in EventType]: Record<string, unknown> } = {
  'user.registered': {
    type: 'object',
    additionalProperties: false,
    required: ['userId', 'username', 'email', 'firstName', 'lastName', 'preferredCurrency', 'timezone', 'dateJoined'],
    properties: {
      userId: uuid,
      username: { type: 'string', minLength: 1, maxLength: 150 },
      email: { type: 'string', format: 'email', maxLength: 254 },
      firstName: nullableName,
      lastName: nullableName,
      preferredCurrency: { type: 'string', pattern: '^[A-Z]{3}$' },
      timezone: { type: 'string', minLength: 1, maxLength: 50 },
      dateJoined: dateTime,
    },
  },
  'user.email_verified': {
    type: 'object',
    additionalProperties: false,
    required: ['userId', 'email', 'verifiedAt'],
    properties: { userId: uuid, email: { type: 'string', format: 'email' }, verifiedAt: dateTime },
  },
  'email_verification.requested': {
    type: 'object',
    additionalProperties: false,
    required: ['userId', 'email', 'token', 'expiresAt', 'firstName'],
    properties: {
      userId: uuid,
      email: { type: 'string', format: 'email', maxLength: 254 },
      token: { type: 'string', minLength: 20, maxLength: 100 },
      expiresAt: dateTime,
      firstName: nullableName,
    },
  },
  'signing_key.published': {
    type: 'object',
    additionalProperties: false,
    required: ['kid', 'alg', 'publicJwk', 'status', 'createdAt'],
    properties: {
      kid: { type: 'string', minLength: 1, maxLength: 100 },
      alg: { const: 'ES256' },
      publicJwk: {
        type: 'object',
        required: ['kty', 'crv', 'x', 'y'],
        additionalProperties: false,
        properties: { kty: { const: 'EC' }, crv: { const: 'P-256' }, x: { type: 'string' }, y: { type: 'string' } },
      },
      status: { enum: ['active', 'retired'] },
      createdAt: dateTime,
    },
  },
  'user.profile_updated': {
    type: 'object',
    additionalProperties: false,
    required: ['userId', 'username', 'firstName', 'lastName', 'preferredCurrency', 'timezone', 'profileVisibility', 'updatedAt'],
    properties: {
      userId: uuid,
      username: { type: 'string', minLength: 1, maxLength: 150 },
      firstName: nullableName,
      lastName: nullableName,
      preferredCurrency: { type: 'string', pattern: '^[A-Z]{3}$' },
      timezone: { type: 'string', minLength: 1, maxLength: 50 },
      profileVisibility: { enum: ['public', 'friends', 'private'] },
      updatedAt: dateTime,
    },
  },
  'user.deactivated': userStatusSchema,
  'user.reactivated': userStatusSchema,
  'user.locked': userStatusSchema,
  'user.unlocked': userStatusSchema,
  'user.password_changed': userStatusSchema,
  'user.role_changed': userStatusSchema,
  'password_reset.requested': {
    type: 'object',
    additionalProperties: false,
    required: ['userId', 'email', 'token', 'expiresAt', 'firstName'],
    properties: {
      userId: uuid,
      email: { type: 'string', format: 'email', maxLength: 254 },
      token: { type: 'string', minLength: 20, maxLength: 100 },
      expiresAt: dateTime,
      firstName: nullableName,
    },
  },
  'friendship.requested': friendshipSchema,
  'friendship.accepted': friendshipSchema,
  'friendship.declined': friendshipSchema,
  'friendship.blocked': friendshipSchema,
  'friendship.removed': friendshipSchema,
  'device.registered': deviceSchema,
  'device.removed': deviceSchema,
};

export function isEventType(type: string): type is EventType {
  return Object.prototype.hasOwnProperty.call(EventTopics, type);
}
