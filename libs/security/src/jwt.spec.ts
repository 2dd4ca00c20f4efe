import { KeyObject, createHmac, generateKeyPairSync, randomUUID } from 'node:crypto';
import { JwtService } from '@nestjs/jwt';
import { AccessTokenVerifier, InvalidTokenError } from './jwt';
import { PublicJwk, PublicKeySource, SigningKeyRecord, SigningKeysUnavailableError, StoredKeySource, publicKeyFromJwk } from './signing-keys';
import { VerifiedTokenCache } from './token-cache';

const ISSUER = 'tally-auth';
const AUDIENCE = 'tally-api';
const USER = '5f0c3c1e-8a5b-4c1e-9a7e-2f1d3b4c5d6e';

interface KeyPair {
  kid: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
  publicJwk: PublicJwk;
}

function makeKey(kid: string): KeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { kid, privateKey, publicKey, publicJwk: publicKey.export({ format: 'jwk' }) as PublicJwk };
}

/** The in-memory key source the verifier is given; counts look-ups. */
class MemoryKeys implements PublicKeySource {
  readonly keys = new Map<string, KeyObject>();
  lookups = 0;
  unavailable = false;
  async getKey(kid: string): Promise<KeyObject | null> {
    this.lookups++;
    if (this.unavailable) throw new SigningKeysUnavailableError();
    return this.keys.get(kid) ?? null;
  }
  /** Answers at once, as JwksKeySource does from the set in hand. */
  peekKey(kid: string): KeyObject | undefined {
    return this.unavailable ? undefined : this.keys.get(kid);
  }
}

const b64url = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');
const jwt = new JwtService();

let key: KeyPair;
let other: KeyPair;
let source: MemoryKeys;
let verifier: AccessTokenVerifier;

function claims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000);
  return { typ: 'access', sub: USER, role: 'user', username: 'ada', iss: ISSUER, aud: AUDIENCE, iat: now, exp: now + 900, jti: randomUUID(), ...overrides };
}

function sign(payload: Record<string, unknown> = claims(), header: Record<string, unknown> = {}, with_: KeyPair = key): string {
  const h: Record<string, unknown> = { alg: 'ES256', kid: with_.kid, typ: 'at+jwt', ...header };
  for (const k of Object.keys(h)) if (h[k] === undefined) delete h[k];
  return jwt.sign(payload, { privateKey: with_.privateKey, algorithm: 'ES256', header: h as never, noTimestamp: !('iat' in payload) });
}

async function rejection(token: string, v: AccessTokenVerifier = verifier): Promise<InvalidTokenError> {
  try {
    await v.verify(token);
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidTokenError);
    return err as InvalidTokenError;
  }
  throw new Error('expected the token to be refused');
}

beforeAll(() => {
  key = makeKey('key-1');
  other = makeKey('key-2');
});

beforeEach(() => {
  source = new MemoryKeys();
  source.keys.set(key.kid, key.publicKey);
  verifier = new AccessTokenVerifier(source, { issuer: ISSUER, audience: AUDIENCE });
});

describe('AccessTokenVerifier', () => {
  it('accepts a good ES256 access token and returns its claims', async () => {
    const c = claims();
    const verified = await verifier.verify(sign(c));
    expect(verified).toEqual(c);
    expect(verified.sub).toBe(USER);
    expect(verified.typ).toBe('access');
  });

  it('accepts an audience list that contains ours, and a token within the clock tolerance', async () => {
    const now = Math.floor(Date.now() / 1000);
    await expect(verifier.verify(sign(claims({ aud: ['tally-admin', AUDIENCE] })))).resolves.toMatchObject({ sub: USER });
    await expect(verifier.verify(sign(claims({ exp: now - 2 })))).resolves.toMatchObject({ sub: USER });
  });

  it('refuses alg none', async () => {
    const token = `${b64url({ alg: 'none', typ: 'at+jwt', kid: key.kid })}.${b64url(claims())}.`;
    await rejection(token);
  });

  it('refuses HS256 signed with the public key as the HMAC secret (algorithm confusion), even with alg checks skipped in the header', async () => {
    const pem = key.publicKey.export({ type: 'spki', format: 'pem' });
    const der = key.publicKey.export({ type: 'spki', format: 'der' });
    const secrets: (string | Buffer)[] = [pem, der, JSON.stringify(key.publicJwk), Buffer.from(key.publicJwk.x, 'base64url')];
    for (const secret of secrets) {
      const signingInput = `${b64url({ alg: 'HS256', typ: 'at+jwt', kid: key.kid })}.${b64url(claims())}`;
      const sig = createHmac('sha256', secret).update(signingInput).digest('base64url');
      expect((await rejection(`${signingInput}.${sig}`)).message).toMatch(/invalid token/);
    }
    // The same, with the header claiming ES256 (so only the library's own algorithm check is left).
    const signingInput = `${b64url({ alg: 'ES256', typ: 'at+jwt', kid: key.kid })}.${b64url(claims())}`;
    const sig = createHmac('sha256', pem).update(signingInput).digest('base64url');
    await rejection(`${signingInput}.${sig}`);
  });

  it('refuses an expired token', async () => {
    const now = Math.floor(Date.now() / 1000);
    const err = await rejection(sign(claims({ iat: now - 3600, exp: now - 60 })));
    expect(err.message).toBe('token expired');
  });

  it('refuses a token from another issuer, or for another audience', async () => {
    expect((await rejection(sign(claims({ iss: 'evil-auth' })))).message).toMatch(/^invalid token \(jwt issuer invalid/);
    expect((await rejection(sign(claims({ aud: 'tally-admin' })))).message).toMatch(/^invalid token \(jwt audience invalid/);
  });

  it('refuses a tampered payload (signature no longer matches)', async () => {
    const [h, , s] = sign().split('.');
    const tampered = `${h}.${b64url(claims({ role: 'admin' }))}.${s}`;
    expect((await rejection(tampered)).message).toBe('invalid token (invalid signature)');
  });

  it('refuses a token signed by another key under a known kid', async () => {
    const forged = sign(claims(), { kid: key.kid }, other);
    expect((await rejection(forged)).message).toBe('invalid token (invalid signature)');
  });

  it('refuses an unknown kid, and a token with no kid', async () => {
    expect((await rejection(sign(claims(), {}, other))).message).toBe('unknown signing key');
    expect((await rejection(sign(claims(), { kid: undefined }))).message).toBe('token has no kid');
  });

  it('refuses a token without the at+jwt header typ, or with another one', async () => {
    expect((await rejection(sign(claims(), { typ: undefined }))).message).toBe('invalid token (header typ)');
    expect((await rejection(sign(claims(), { typ: 'JWT' }))).message).toBe('invalid token (header typ)');
  });

  it('refuses a refresh-type token, and one with no typ claim', async () => {
    expect((await rejection(sign(claims({ typ: 'refresh' })))).message).toBe('not an access token');
    const c = claims();
    delete c.typ;
    expect((await rejection(sign(c))).message).toBe('not an access token');
  });

  it.each(['sub', 'exp', 'iat', 'jti'])('refuses a token without %s', async (claim) => {
    const c = claims();
    delete c[claim];
    await rejection(sign(c));
  });

  it('refuses garbage', async () => {
    for (const t of ['', 'abc', 'a.b.c', `${b64url({ alg: 'ES256' })}.${b64url('not json')}.x`, `${b64url([1])}.${b64url(claims())}.x`]) await rejection(t);
  });

  it('says "unavailable" (not "invalid") when the key source cannot tell', async () => {
    source.unavailable = true;
    await expect(verifier.verify(sign())).rejects.toBeInstanceOf(SigningKeysUnavailableError);
  });
});

describe('AccessTokenVerifier with a VerifiedTokenCache', () => {
  let cache: VerifiedTokenCache;
  let cached: AccessTokenVerifier;

  beforeEach(() => {
    cache = new VerifiedTokenCache({ max: 3 });
    cached = new AccessTokenVerifier(source, { issuer: ISSUER, audience: AUDIENCE, cache });
  });

  it('verifies a token once, then answers from the cache (still asking whether its key may verify)', async () => {
    const token = sign();
    const spy = jest.spyOn(JwtService.prototype, 'verify');
    try {
      const first = await cached.verify(token);
      for (let i = 0; i < 5; i++) expect(await cached.verify(token)).toEqual(first);
      expect(spy).toHaveBeenCalledTimes(1);
      expect(source.lookups).toBe(6);
    } finally {
      spy.mockRestore();
    }
  });

  it('never caches a refusal, and a different token (one byte) is verified on its own', async () => {
    const token = sign();
    await cached.verify(token);
    const [h, p, s] = token.split('.');
    const other = `${h}.${p}.${s.slice(0, -2)}${s.endsWith('AA') ? 'BB' : 'AA'}`;
    await rejection(other, cached);
    await rejection(other, cached);
  });

  it('stops answering for a token once it expires', async () => {
    const now = Math.floor(Date.now() / 1000);
    const token = sign(claims({ exp: now + 1 }));
    await cached.verify(token);
    const later = Date.now() + 10_000;
    const spy = jest.spyOn(Date, 'now').mockReturnValue(later);
    try {
      expect((await rejection(token, cached)).message).toBe('token expired');
    } finally {
      spy.mockRestore();
    }
  });

  it('refuses cached tokens of a key the source no longer gives (revoked), and forgetKey drops them eagerly', async () => {
    const a = sign();
    const b = sign();
    await cached.verify(a);
    await cached.verify(b);
    expect(cache.size).toBe(2);
    source.keys.delete(key.kid);
    expect((await rejection(a, cached)).message).toBe('unknown signing key');
    cached.forgetKey(key.kid);
    expect(cache.size).toBe(0);
  });

  it('answers a token it verified before without waiting (verifyCached), and nothing else', async () => {
    const token = sign();
    const forged = `${token.slice(0, -4)}AAAA`;
    expect(cached.verifyCached(token)).toBeUndefined(); // never verified: only verify() decides
    const claims = await cached.verify(token);
    expect(cached.verifyCached(token)).toEqual(claims);
    expect(cached.verifyCached(forged)).toBeUndefined();
    // Its key gone from the source (revoked): no answer, and verify() refuses it.
    source.keys.delete(key.kid);
    expect(cached.verifyCached(token)).toBeUndefined();
    expect((await rejection(token, cached)).message).toBe('unknown signing key');
  });

  it('verifyCached stops answering when the token expires', async () => {
    const now = Math.floor(Date.now() / 1000);
    const token = sign(claims({ iat: now - 60, exp: now + 1 }));
    await cached.verify(token);
    expect(cached.verifyCached(token)).toBeDefined();
    jest.useFakeTimers({ now: Date.now() + 7000, doNotFake: ['nextTick', 'setImmediate'] });
    try {
      expect(cached.verifyCached(token)).toBeUndefined();
    } finally {
      jest.useRealTimers();
    }
  });

  it('verifyCached never answers without a cache, or from a source that cannot answer at once', async () => {
    const token = sign();
    await verifier.verify(token);
    expect(verifier.verifyCached(token)).toBeUndefined();
    const slow: PublicKeySource = { getKey: async (kid) => source.keys.get(kid) ?? null };
    const noPeek = new AccessTokenVerifier(slow, { issuer: ISSUER, audience: AUDIENCE, cache: new VerifiedTokenCache() });
    await noPeek.verify(token);
    expect(noPeek.verifyCached(token)).toBeUndefined();
  });

  it('is bounded: the least recently used token leaves first', async () => {
    const tokens = [sign(), sign(), sign(), sign()];
    for (const t of tokens) await cached.verify(t);
    expect(cache.size).toBe(3);
  });
});

describe('StoredKeySource (keys read from a table, by kid)', () => {
  const GRACE = 60_000;
  const rows = new Map<string, SigningKeyRecord>();
  let reads = 0;
  let failing = false;
  const load = async (kid: string) => {
    reads++;
    if (failing) throw new Error('database down');
    return rows.get(kid) ?? null;
  };

  beforeEach(() => {
    rows.clear();
    reads = 0;
    failing = false;
  });

  it('verifies with pending and active keys, a retired one within the grace, never a revoked or expired one', async () => {
    const now = Date.now();
    const states: [SigningKeyRecord['status'], Date | null, boolean][] = [
      ['pending', null, true], ['active', null, true], ['retired', new Date(now - GRACE / 2), true],
      ['retired', new Date(now - GRACE - 1), false], ['revoked', null, false], ['compromised?', null, false],
    ];
    const keys = new StoredKeySource(load, { retiredGraceMs: GRACE });
    for (const [i, [status, retiredAt, verifies]] of states.entries()) {
      rows.set(`k${i}`, { kid: `k${i}`, publicJwk: key.publicJwk, status, retiredAt });
      expect({ status, verifies: !!(await keys.getKey(`k${i}`)) }).toEqual({ status, verifies });
    }
  });

  it('reads a kid once per refresh interval, unknown kids too; invalidate reads again and tells the listeners', async () => {
    rows.set('a', { kid: 'a', publicJwk: key.publicJwk, status: 'active' });
    const dropped: string[] = [];
    const keys = new StoredKeySource(load, { retiredGraceMs: GRACE, refreshMs: 60_000 });
    keys.onKeyDropped((kid) => dropped.push(kid));
    await Promise.all([keys.getKey('a'), keys.getKey('a'), keys.getKey('a'), keys.getKey('nope'), keys.getKey('nope')]);
    expect(reads).toBe(2);
    rows.set('a', { kid: 'a', publicJwk: key.publicJwk, status: 'revoked' });
    expect(await keys.getKey('a')).not.toBeNull(); // not re-read yet
    keys.invalidate('a');
    expect(dropped).toEqual(['a']);
    expect(await keys.getKey('a')).toBeNull();
  });

  it('keeps what it knew when the store fails, and is "unavailable" for what it never knew', async () => {
    rows.set('a', { kid: 'a', publicJwk: key.publicJwk, status: 'active' });
    const keys = new StoredKeySource(load, { retiredGraceMs: GRACE, refreshMs: 0 });
    expect(await keys.getKey('a')).not.toBeNull();
    failing = true;
    expect(await keys.getKey('a')).not.toBeNull();
    await expect(keys.getKey('b')).rejects.toBeInstanceOf(SigningKeysUnavailableError);
  });

  it('turns only EC P-256 public members into a key', () => {
    expect(publicKeyFromJwk(key.publicJwk)).toBeInstanceOf(KeyObject);
    expect(publicKeyFromJwk({ kty: 'RSA', crv: 'P-256', x: key.publicJwk.x, y: key.publicJwk.y })).toBeNull();
    expect(publicKeyFromJwk({ kty: 'EC', crv: 'P-256', x: 'x'.repeat(43), y: 'y'.repeat(43) })).toBeNull();
  });
});
