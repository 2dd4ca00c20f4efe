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

/** Every event type with its payload type: the one typed map (like immich's EventMap). */
export interface EventMap {
  'user.registered': UserRegisteredData;
  'user.email_verified': UserEmailVerifiedData;
  'email_verification.requested': EmailVerificationRequestedData;
  'signing_key.published': SigningKeyPublishedData;
}

export type EventType = keyof EventMap;
export type EventData<T extends EventType> = EventMap[T];

/** Which topic each event type is published on. */
export const EventTopics: { [T in EventType]: TopicName } = {
  'user.registered': Topics.authUser,
  'user.email_verified': Topics.authUser,
  'email_verification.requested': Topics.authEmailVerification,
  'signing_key.published': Topics.authSigningKey,
};

const uuid = { type: 'string', format: 'uuid' } as const;
const dateTime = { type: 'string', format: 'date-time' } as const;
const nullableName = { type: ['string', 'null'], maxLength: 150 } as const;

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
};

export function isEventType(type: string): type is EventType {
  return Object.prototype.hasOwnProperty.call(EventTopics, type);
}
