import { randomUUID } from 'node:crypto';
import { EventEnvelope, EventSchemas, EventTopics, EventType, envelopeSchema } from '@tally/contracts';
import { EventValidationError, assertReadableEvent, assertValidEvent, tolerantSchema } from './validation';

const USER = '5f0c3c1e-8a5b-4c1e-9a7e-2f1d3b4c5d6e';
const NOW = '2026-11-02T11:30:00.000Z';

/** A well-formed payload for some event types (the contracts grow; these are the ones this spec checks in depth). */
const goodData: Partial<Record<EventType, unknown>> = {
  'user.registered': {
    userId: USER,
    username: 'ada',
    email: 'ada@example.com',
    firstName: 'Ada',
    lastName: null,
    preferredCurrency: 'EUR',
    timezone: 'Europe/London',
    dateJoined: NOW,
  },
  'user.email_verified': { userId: USER, email: 'ada@example.com', verifiedAt: NOW },
  'email_verification.requested': {
    userId: USER,
    email: 'ada@example.com',
    token: 'a'.repeat(43),
    expiresAt: NOW,
    firstName: null,
  },
  'signing_key.published': {
    kid: 'key-2026-11',
    alg: 'ES256',
    publicJwk: { kty: 'EC', crv: 'P-256', x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU', y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0' },
    status: 'active',
    createdAt: NOW,
  },
};

function envelope<T extends EventType>(type: T, overrides: Record<string, unknown> = {}): EventEnvelope {
  return {
    id: randomUUID(),
    type,
    source: 'auth-service',
    time: NOW,
    subject: USER,
    actor: { userId: USER, ip: '203.0.113.7', userAgent: 'jest' },
    data: structuredClone(goodData[type]),
    specversion: '1.0',
    ...overrides,
  } as EventEnvelope;
}

function errorOf(value: unknown, assert: (value: unknown) => void = assertValidEvent): EventValidationError {
  try {
    assert(value);
  } catch (err) {
    expect(err).toBeInstanceOf(EventValidationError);
    return err as EventValidationError;
  }
  throw new Error(`expected ${assert.name} to throw`);
}

describe('assertValidEvent', () => {
  it('knows a schema and a topic for exactly the same event types', () => {
    expect(Object.keys(EventTopics).sort()).toEqual(Object.keys(EventSchemas).sort());
    for (const type of Object.keys(goodData)) expect(EventSchemas).toHaveProperty([type]);
  });

  it.each(Object.keys(goodData) as EventType[])('accepts a well-formed %s event', (type) => {
    expect(() => assertValidEvent(envelope(type))).not.toThrow();
  });

  it('accepts an envelope without an actor, and an actor with null fields', () => {
    const e = envelope('user.email_verified') as unknown as Record<string, unknown>;
    delete e.actor;
    expect(() => assertValidEvent(e)).not.toThrow();
    expect(() => assertValidEvent(envelope('user.email_verified', { actor: { userId: null, ip: null, userAgent: null } }))).not.toThrow();
  });

  it('rejects an id that is not a UUID, saying which field and why', () => {
    const err = errorOf(envelope('user.registered', { id: 'not-a-uuid' }));
    expect(err.name).toBe('EventValidationError');
    expect(err.message).toMatch(/^invalid envelope: /);
    expect(err.message).toContain('/id must match format "uuid"');
  });

  it('rejects a bad UUID inside the payload, naming the payload type and the field', () => {
    const e = envelope('user.registered');
    (e.data as Record<string, unknown>).userId = '1234';
    expect(errorOf(e).message).toBe('invalid user.registered payload: /userId must match format "uuid"');
  });

  it('rejects an unknown event type that is well formed', () => {
    expect(errorOf(envelope('user.registered', { type: 'user.deleted' })).message).toBe('unknown event type user.deleted');
  });

  it('rejects a type that is not `<aggregate>.<verb>` in lower case', () => {
    expect(errorOf(envelope('user.registered', { type: 'UserRegistered' })).message).toContain('/type must match pattern');
  });

  it('rejects an extra field on the envelope', () => {
    const err = errorOf(envelope('user.registered', { tenant: 'x' }));
    expect(err.message).toMatch(/^invalid envelope: /);
    expect(err.message).toContain('must NOT have additional properties');
  });

  it('rejects an extra field in the payload (payloads are closed)', () => {
    const e = envelope('user.email_verified');
    (e.data as Record<string, unknown>).password = 'hunter2';
    expect(errorOf(e).message).toBe('invalid user.email_verified payload: / must NOT have additional properties');
  });

  it('rejects an extra field in the actor', () => {
    expect(errorOf(envelope('user.registered', { actor: { userId: USER, role: 'admin' } })).message).toContain('/actor must NOT have additional properties');
  });

  it.each(['not-an-email', 'ada@', '@example.com', 'ada example@example.com'])('rejects the email %j', (email) => {
    const e = envelope('user.registered');
    (e.data as Record<string, unknown>).email = email;
    expect(errorOf(e).message).toBe('invalid user.registered payload: /email must match format "email"');
  });

  it('lists every problem of a payload at once, not only the first', () => {
    const e = envelope('user.registered');
    Object.assign(e.data as Record<string, unknown>, { email: 'nope', preferredCurrency: 'euro', dateJoined: 'yesterday' });
    delete (e.data as Record<string, unknown>).timezone;
    const msg = errorOf(e).message;
    expect(msg).toContain('/email must match format "email"');
    expect(msg).toContain('/preferredCurrency must match pattern "^[A-Z]{3}$"');
    expect(msg).toContain('/dateJoined must match format "date-time"');
    expect(msg).toContain("must have required property 'timezone'");
  });

  it('rejects missing envelope fields, a wrong specversion and a time that is not a date-time', () => {
    const e = envelope('user.registered', { specversion: '2.0', time: 'now' }) as unknown as Record<string, unknown>;
    delete e.subject;
    delete e.source;
    const msg = errorOf(e).message;
    expect(msg).toContain("must have required property 'subject'");
    expect(msg).toContain("must have required property 'source'");
    expect(msg).toContain('/specversion must be equal to constant');
    expect(msg).toContain('/time must match format "date-time"');
  });

  it('rejects data that is not an object', () => {
    expect(errorOf(envelope('user.registered', { data: 'hello' })).message).toContain('/data must be object');
  });

  it.each([null, undefined, 42, 'text', []])('rejects a non-object message %j', (value) => {
    expect(errorOf(value).message).toMatch(/^invalid envelope: /);
  });

  it('rejects a signing key that carries a private key part (d)', () => {
    const e = envelope('signing_key.published');
    (e.data as { publicJwk: Record<string, string> }).publicJwk.d = 'private!';
    expect(errorOf(e).message).toBe('invalid signing_key.published payload: /publicJwk must NOT have additional properties');
  });

  it('rejects a verification token that is too short to be a real one', () => {
    const e = envelope('email_verification.requested');
    (e.data as Record<string, unknown>).token = 'short';
    expect(errorOf(e).message).toBe('invalid email_verification.requested payload: /token must NOT have fewer than 20 characters');
  });
});

describe('assertReadableEvent (consumers: tolerant of unknown fields)', () => {
  const readable = (value: unknown) => errorOf(value, assertReadableEvent);

  it.each(Object.keys(goodData) as EventType[])('accepts a well-formed %s event', (type) => {
    expect(() => assertReadableEvent(envelope(type))).not.toThrow();
  });

  it('accepts a payload with a field it does not know, which the strict publisher check refuses', () => {
    const e = envelope('user.registered');
    (e.data as Record<string, unknown>).nickname = 'ada';
    expect(() => assertValidEvent(e)).toThrow(EventValidationError);
    expect(() => assertReadableEvent(e)).not.toThrow();
  });

  it('accepts unknown fields at every level: nested payload objects, the envelope and the actor', () => {
    const e = envelope('signing_key.published', { partitionHint: 2, actor: { userId: USER, sessionId: 's-1' } });
    (e.data as { publicJwk: Record<string, string> }).publicJwk.use = 'sig';
    expect(errorOf(e).message).toMatch(/must NOT have additional properties/);
    expect(() => assertReadableEvent(e)).not.toThrow();
  });

  it('still requires every required field, in the payload and in the envelope', () => {
    const e = envelope('user.registered');
    delete (e.data as Record<string, unknown>).email;
    expect(errorOf(e).message).toBe("invalid user.registered payload: / must have required property 'email'");
    expect(readable(e).message).toBe("invalid user.registered payload: / must have required property 'email'");
    const noSubject = envelope('user.registered') as unknown as Record<string, unknown>;
    delete noSubject.subject;
    expect(readable(noSubject).message).toContain("must have required property 'subject'");
  });

  it('still enforces types, formats, patterns, enums and lengths', () => {
    const e = envelope('user.registered', { time: 'now' });
    Object.assign(e.data as Record<string, unknown>, { userId: '1234', preferredCurrency: 'euro', firstName: 42 });
    const msg = readable(e).message;
    expect(msg).toContain('/time must match format "date-time"');
    const data = envelope('user.registered');
    Object.assign(data.data as Record<string, unknown>, { userId: '1234', preferredCurrency: 'euro', firstName: 42, extra: true });
    const dataMsg = readable(data).message;
    expect(dataMsg).toContain('/userId must match format "uuid"');
    expect(dataMsg).toContain('/preferredCurrency must match pattern "^[A-Z]{3}$"');
    expect(dataMsg).toContain('/firstName must be string,null');
    expect(dataMsg).not.toContain('additional properties');
    const key = envelope('signing_key.published');
    (key.data as Record<string, unknown>).status = 'compromised';
    expect(readable(key).message).toContain('/status must be equal to one of the allowed values');
    const token = envelope('email_verification.requested');
    (token.data as Record<string, unknown>).token = 'short';
    expect(readable(token).message).toBe('invalid email_verification.requested payload: /token must NOT have fewer than 20 characters');
  });

  it('refuses an unknown event type, a wrong specversion and data that is not an object', () => {
    expect(readable(envelope('user.registered', { type: 'user.deleted' })).message).toBe('unknown event type user.deleted');
    expect(readable(envelope('user.registered', { specversion: '2.0' })).message).toContain('/specversion must be equal to constant');
    expect(readable(envelope('user.registered', { data: 'hello' })).message).toContain('/data must be object');
  });

  it.each([null, undefined, 42, 'text', []])('refuses a non-object message %j', (value) => {
    expect(readable(value).message).toMatch(/^invalid envelope: /);
  });
});

describe('tolerantSchema', () => {
  it('drops additionalProperties: false at every level and keeps everything else', () => {
    const schema = EventSchemas['signing_key.published'] as { properties: { publicJwk: Record<string, unknown> } };
    const open = tolerantSchema(schema);
    expect(open).not.toHaveProperty('additionalProperties');
    expect(open.properties.publicJwk).not.toHaveProperty('additionalProperties');
    expect(open.properties.publicJwk.required).toEqual(['kty', 'crv', 'x', 'y']);
    expect(tolerantSchema(envelopeSchema).properties.actor).not.toHaveProperty('additionalProperties');
  });

  it('leaves the contracts untouched', () => {
    const before = JSON.stringify(EventSchemas);
    tolerantSchema(EventSchemas);
    expect(JSON.stringify(EventSchemas)).toBe(before);
    expect(schemaOf('user.registered').additionalProperties).toBe(false);
  });
});

function schemaOf(type: EventType): Record<string, unknown> {
  return EventSchemas[type] as Record<string, unknown>;
}
