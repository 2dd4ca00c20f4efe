import { createHmac, createPublicKey, randomUUID } from 'node:crypto';
import { JWK, KeyLike, SignJWT, exportJWK, exportSPKI, generateKeyPair } from 'jose';
import { AccessTokenVerifier, InvalidTokenError, PublicKeySource } from './jwt';

const ISSUER = 'tally-auth';
const AUDIENCE = 'tally-api';
const USER = '5f0c3c1e-8a5b-4c1e-9a7e-2f1d3b4c5d6e';

interface KeyPair {
  kid: string;
  privateKey: KeyLike;
  publicKey: KeyLike;
  publicJwk: JWK;
}

async function makeKey(kid: string): Promise<KeyPair> {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  return { kid, privateKey, publicKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' } };
}

/** The in-memory key source the verifier is given; counts look-ups. */
class MemoryKeys implements PublicKeySource {
  readonly keys = new Map<string, JWK>();
  lookups = 0;
  async getKey(kid: string): Promise<JWK | null> {
    this.lookups++;
    return this.keys.get(kid) ?? null;
  }
}

const b64url = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');

let key: KeyPair;
let other: KeyPair;
let source: MemoryKeys;
let verifier: AccessTokenVerifier;

function claims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000);
  return { typ: 'access', sub: USER, role: 'user', username: 'ada', iss: ISSUER, aud: AUDIENCE, iat: now, exp: now + 900, jti: randomUUID(), ...overrides };
}

async function sign(payload: Record<string, unknown> = claims(), header: Record<string, unknown> = {}, with_: KeyPair = key): Promise<string> {
  const h = { alg: 'ES256', kid: with_.kid, typ: 'at+jwt', ...header };
  for (const k of Object.keys(h)) if (h[k as keyof typeof h] === undefined) delete h[k as keyof typeof h];
  return new SignJWT(payload).setProtectedHeader(h as { alg: string }).sign(with_.privateKey);
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

beforeAll(async () => {
  key = await makeKey('key-1');
  other = await makeKey('key-2');
});

beforeEach(() => {
  source = new MemoryKeys();
  source.keys.set(key.kid, key.publicJwk);
  verifier = new AccessTokenVerifier(source, { issuer: ISSUER, audience: AUDIENCE });
});

describe('AccessTokenVerifier', () => {
  it('accepts a good ES256 access token and returns its claims', async () => {
    const c = claims();
    const verified = await verifier.verify(await sign(c));
    expect(verified).toEqual(c);
    expect(verified.sub).toBe(USER);
    expect(verified.typ).toBe('access');
  });

  it('accepts an audience list that contains ours, and a token within the clock tolerance', async () => {
    const now = Math.floor(Date.now() / 1000);
    await expect(verifier.verify(await sign(claims({ aud: ['tally-admin', AUDIENCE] })))).resolves.toMatchObject({ sub: USER });
    await expect(verifier.verify(await sign(claims({ exp: now - 2 })))).resolves.toMatchObject({ sub: USER });
  });

  it('imports a key once per kid', async () => {
    await verifier.verify(await sign());
    await verifier.verify(await sign());
    expect(source.lookups).toBe(1);
  });

  it('refuses alg none', async () => {
    const token = `${b64url({ alg: 'none', typ: 'at+jwt', kid: key.kid })}.${b64url(claims())}.`;
    await rejection(token);
  });

  it('refuses HS256 signed with the public key as the HMAC secret (algorithm confusion)', async () => {
    const pem = await exportSPKI(key.publicKey);
    const der = createPublicKey(pem).export({ type: 'spki', format: 'der' });
    const secrets: (string | Buffer)[] = [pem, der, JSON.stringify(key.publicJwk), Buffer.from(key.publicJwk.x!, 'base64url')];
    for (const secret of secrets) {
      const signingInput = `${b64url({ alg: 'HS256', typ: 'at+jwt', kid: key.kid })}.${b64url(claims())}`;
      const sig = createHmac('sha256', secret).update(signingInput).digest('base64url');
      const err = await rejection(`${signingInput}.${sig}`);
      expect(err.message).toMatch(/invalid token/);
    }
  });

  it('refuses an expired token', async () => {
    const now = Math.floor(Date.now() / 1000);
    const err = await rejection(await sign(claims({ iat: now - 3600, exp: now - 60 })));
    expect(err.message).toBe('token expired');
  });

  it('refuses a token from another issuer', async () => {
    const err = await rejection(await sign(claims({ iss: 'evil-auth' })));
    expect(err.message).toBe('invalid token (ERR_JWT_CLAIM_VALIDATION_FAILED)');
  });

  it('refuses a token for another audience', async () => {
    const err = await rejection(await sign(claims({ aud: 'tally-admin' })));
    expect(err.message).toBe('invalid token (ERR_JWT_CLAIM_VALIDATION_FAILED)');
  });

  it('refuses a tampered payload (signature no longer matches)', async () => {
    const [h, , s] = (await sign()).split('.');
    const tampered = `${h}.${b64url(claims({ role: 'admin' }))}.${s}`;
    const err = await rejection(tampered);
    expect(err.message).toBe('invalid token (ERR_JWS_SIGNATURE_VERIFICATION_FAILED)');
  });

  it('refuses a token signed by another key under a known kid', async () => {
    const forged = await sign(claims(), { kid: key.kid }, other);
    expect((await rejection(forged)).message).toBe('invalid token (ERR_JWS_SIGNATURE_VERIFICATION_FAILED)');
  });

  it('refuses an unknown kid, and a token with no kid', async () => {
    expect((await rejection(await sign(claims(), {}, other))).message).toBe('unknown signing key');
    expect((await rejection(await sign(claims(), { kid: undefined }))).message).toBe('token has no kid');
  });

  it('refuses a token without the at+jwt header typ, or with another one', async () => {
    expect((await rejection(await sign(claims(), { typ: undefined }))).message).toBe('invalid token (ERR_JWT_CLAIM_VALIDATION_FAILED)');
    expect((await rejection(await sign(claims(), { typ: 'JWT' }))).message).toBe('invalid token (ERR_JWT_CLAIM_VALIDATION_FAILED)');
  });

  it('refuses a refresh-type token, and one with no typ claim', async () => {
    expect((await rejection(await sign(claims({ typ: 'refresh' })))).message).toBe('not an access token');
    const c = claims();
    delete c.typ;
    expect((await rejection(await sign(c))).message).toBe('not an access token');
  });

  it.each(['sub', 'exp', 'iat', 'jti'])('refuses a token without %s', async (claim) => {
    const c = claims();
    delete c[claim];
    await rejection(await sign(c));
  });

  it('refuses garbage', async () => {
    for (const t of ['', 'abc', 'a.b.c', `${b64url({ alg: 'ES256' })}.${b64url('not json')}.x`]) await rejection(t);
  });

  it('caches imported keys for its lifetime: a kid the source forgets keeps verifying here, a new verifier refuses it', async () => {
    // (there is no key revocation: retired keys stay valid by design, and this cache never expires)
    await verifier.verify(await sign());
    source.keys.delete(key.kid);
    await expect(verifier.verify(await sign())).resolves.toMatchObject({ sub: USER });
    const fresh = new AccessTokenVerifier(source, { issuer: ISSUER, audience: AUDIENCE });
    expect((await rejection(await sign(), fresh)).message).toBe('unknown signing key');
  });
});
