import { JsonWebKey, createHmac, createPrivateKey, randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { JwtService } from '@nestjs/jwt';
import { SecretBox } from '@tally/security';
import { SmtpCatcher, TallySystem, expectEventually } from '@tally/testing';
import { call, newUser, query, startSystem, verificationToken } from './support';

const b64 = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');

/**
 * Forged access tokens must fail at the gateway and at every service that verifies for itself.
 * Some are signed with auth's REAL private key (read from its database) but carry wrong claims,
 * so only the claim checks can stop them.
 */
describe('access token attacks', () => {
  let system: TallySystem;
  let smtp: SmtpCatcher;
  let gw: string;
  let good: string;
  let userId: string;
  let realKey: { kid: string; jwk: JsonWebKey; publicJwk: JsonWebKey };

  beforeAll(async () => {
    ({ system, smtp } = await startSystem());
    gw = system.gatewayUrl;
    const u = newUser('target', system.runId);
    const reg = await call(gw, 'POST', '/api/v1/auth/register', { body: u });
    expect([201, 202]).toContain(reg.status);
    const token = verificationToken((await smtp.waitFor(u.email, 60000)).text);
    await call(gw, 'POST', '/api/v1/auth/verify-email', { body: { token } });
    good = (await call(gw, 'POST', '/api/v1/auth/login', { body: { login: u.email, password: u.password } })).body.accessToken;
    const c = new Client({ connectionString: system.databaseUrl('auth') });
    await c.connect();
    userId = (await c.query('SELECT id FROM users WHERE username = $1', [u.username])).rows[0].id;
    const { rows } = await c.query(`SELECT kid, private_jwk, public_jwk FROM signing_keys WHERE status = 'active'`);
    await c.end();
    // Sealed at rest with the run's SECRETS_KEY: the database alone does not hold the key.
    expect(JSON.stringify(rows[0].private_jwk)).not.toContain('"d"');
    const jwk = JSON.parse(new SecretBox(system.secretsKey).open(rows[0].private_jwk.sealed)) as JsonWebKey;
    realKey = { kid: rows[0].kid, jwk, publicJwk: rows[0].public_jwk };
  });

  afterAll(async () => {
    await system?.stop();
    await smtp?.stop();
  });

  async function signWithRealKey(claims: Record<string, unknown>, header: Record<string, unknown> = {}): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    const payload = {
      typ: 'access', role: 'admin', username: 'forged', sub: userId, iss: 'tally-auth', aud: 'tally-api', iat: now, exp: now + 600, jti: randomUUID(), ...claims,
    };
    return new JwtService().sign(payload, {
      privateKey: createPrivateKey({ key: realKey.jwk, format: 'jwk' }), algorithm: 'ES256', header: { alg: 'ES256', kid: realKey.kid, typ: 'at+jwt', ...header } as never,
    });
  }

  /** Every place a token is checked: the gateway, and two services called directly. */
  async function expectRejectedEverywhere(token: string) {
    const targets = [
      [gw, '/api/v1/users/me'],
      [`http://127.0.0.1:${system.ports['auth-service']}`, '/api/v1/users/me'],
      [`http://127.0.0.1:${system.ports['group-service']}`, '/api/v1/groups'],
      [`http://127.0.0.1:${system.ports['notification-service']}`, '/api/v1/notifications'],
    ];
    for (const [base, path] of targets) {
      const res = await call(base, 'GET', path, { token });
      expect({ base, status: res.status }).toEqual({ base, status: 401 });
      expect(res.headers.get('content-type')).toContain('application/problem+json');
    }
  }

  it('accepts the genuine token everywhere (the control)', async () => {
    expect((await call(gw, 'GET', '/api/v1/users/me', { token: good })).status).toBe(200);
    expect((await call(`http://127.0.0.1:${system.ports['group-service']}`, 'GET', '/api/v1/groups', { token: good })).status).toBe(200);
    // A token we sign ourselves with the real key and correct claims passes too, so the
    // rejections below are caused by the one thing each of them changes.
    expect((await call(gw, 'GET', '/api/v1/users/me', { token: await signWithRealKey({}) })).status).toBe(200);
  });

  it('rejects alg none', async () => {
    const [, payload] = good.split('.');
    await expectRejectedEverywhere(`${b64({ alg: 'none', typ: 'at+jwt', kid: realKey.kid })}.${payload}.`);
  });

  it('rejects HS256 signed with the public key as the HMAC secret', async () => {
    const [, payload] = good.split('.');
    const header = b64({ alg: 'HS256', typ: 'at+jwt', kid: realKey.kid });
    for (const secret of [JSON.stringify(realKey.publicJwk), `${realKey.publicJwk.x}${realKey.publicJwk.y}`]) {
      const sig = createHmac('sha256', secret).update(`${header}.${payload}`).digest('base64url');
      await expectRejectedEverywhere(`${header}.${payload}.${sig}`);
    }
  });

  it('rejects an expired token, a wrong issuer, a wrong audience, a refresh-type token and a wrong header type', async () => {
    const past = Math.floor(Date.now() / 1000) - 3600;
    await expectRejectedEverywhere(await signWithRealKey({ iat: past - 900, exp: past }));
    await expectRejectedEverywhere(await signWithRealKey({ iss: 'https://evil.example' }));
    await expectRejectedEverywhere(await signWithRealKey({ aud: 'another-api' }));
    await expectRejectedEverywhere(await signWithRealKey({ typ: 'refresh' }));
    await expectRejectedEverywhere(await signWithRealKey({}, { typ: 'JWT' }));
  });

  it('rejects a tampered payload and an unknown key id', async () => {
    const [h, p, s] = good.split('.');
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString());
    await expectRejectedEverywhere(`${h}.${b64({ ...claims, role: 'admin' })}.${s}`);
    await expectRejectedEverywhere(await signWithRealKey({}, { kid: randomUUID() }));
    await expectRejectedEverywhere('not-a-jwt');
  });

  // Last: it revokes the key the other tests sign with.
  it('rejects a genuine-looking token once its key is revoked (a compromised key), at the gateway and at every service', async () => {
    const signed = await signWithRealKey({ role: 'user', username: 'target' });
    expect((await call(`http://127.0.0.1:${system.ports['group-service']}`, 'GET', '/api/v1/groups', { token: signed })).status).toBe(200);
    await query(system.databaseUrl('auth'), `UPDATE users SET role = 'admin', is_superuser = TRUE WHERE id = $1`, [userId]);
    const revoked = await call(gw, 'POST', `/api/v1/admin/signing-keys/${realKey.kid}/revoke`, { token: good });
    expect(revoked.status).toBe(200);
    expect(revoked.body.status).toBe('revoked');
    // auth refuses it at once, the services once they consume the event, the gateway at its next JWKS refresh (30 s).
    await expectEventually(() => expectRejectedEverywhere(signed), { timeoutMs: 90_000, intervalMs: 1000, what: 'the revoked key refused everywhere' });
    await expectRejectedEverywhere(good);
  });
});
