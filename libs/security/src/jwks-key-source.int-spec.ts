/**
 * The gateway's key source against a real HTTP JWKS endpoint (a local server the test can make answer
 * 500): the last good key set keeps verifying while the endpoint fails, refetching backs off instead of
 * happening on every request, and only a token whose key cannot be had at all is "unavailable" (503 at
 * the gateway) rather than "invalid" (401, which clients read as "logged out").
 * Time is moved with a faked Date only; sockets and timers are real.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { KeyObject, generateKeyPairSync, randomUUID } from 'node:crypto';
import { JwtService } from '@nestjs/jwt';
import { AccessTokenVerifier, InvalidTokenError } from './jwt';
import { JwksKeySource } from './jwks-key-source';
import { VerifiedTokenCache } from './token-cache';

const ISSUER = 'tally-auth';
const AUDIENCE = 'tally-api';
const MINUTE = 60_000;

interface TestKey {
  kid: string;
  privateKey: KeyObject;
  jwk: Record<string, unknown>;
}

function makeKey(): TestKey {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const kid = randomUUID();
  return { kid, privateKey, jwk: { ...publicKey.export({ format: 'jwk' }), kid, alg: 'ES256', use: 'sig' } };
}

const jwt = new JwtService();
function sign(key: TestKey): string {
  return jwt.sign(
    { typ: 'access', role: 'user', username: 'ada' },
    {
      privateKey: key.privateKey, algorithm: 'ES256', keyid: key.kid, header: { alg: 'ES256', typ: 'at+jwt' },
      issuer: ISSUER, audience: AUDIENCE, subject: randomUUID(), jwtid: randomUUID(), expiresIn: 900,
    },
  );
}

/** Settles to 'ok', 'invalid' (401) or 'unavailable' (anything else: 503 at the gateway). */
async function outcome(v: AccessTokenVerifier, token: string): Promise<'ok' | 'invalid' | 'unavailable'> {
  try {
    await v.verify(token);
    return 'ok';
  } catch (err) {
    return err instanceof InvalidTokenError ? 'invalid' : 'unavailable';
  }
}

let server: http.Server;
let url: string;
let failing = false;
let served: TestKey[] = [];
let fetches = 0;

beforeAll(async () => {
  server = http.createServer((_req, res) => {
    fetches++;
    if (failing) {
      res.writeHead(500, { 'content-type': 'text/plain' }).end('upstream exploded');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: served.map((k) => k.jwk) }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  failing = false;
  served = [];
  fetches = 0;
  // Only Date moves by hand: sockets, timers and promises stay real.
  jest.useFakeTimers({
    now: Date.now(),
    doNotFake: ['nextTick', 'setImmediate', 'clearImmediate', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'queueMicrotask', 'hrtime', 'performance'],
  });
});

afterEach(() => {
  jest.useRealTimers();
});

const later = (ms: number) => jest.setSystemTime(Date.now() + ms);

describe('the gateway key source (JWKS over HTTP) when the JWKS endpoint fails', () => {
  it('keeps verifying with the last good key set after its cache expired, and does not refetch on every request', async () => {
    const a = makeKey();
    served = [a];
    const verifier = new AccessTokenVerifier({ jwksUrl: url }, { issuer: ISSUER, audience: AUDIENCE });
    expect(await outcome(verifier, sign(a))).toBe('ok');

    failing = true;
    later(11 * MINUTE); // past any cache age
    fetches = 0;
    const results: string[] = [];
    for (let i = 0; i < 30; i++) results.push(await outcome(verifier, sign(a)));
    expect(results).toEqual(Array(30).fill('ok'));
    // At most one refetch for the expiry, then backing off: not one per request.
    expect(fetches).toBeLessThanOrEqual(2);
  });

  it('answers "unavailable", not "invalid", for a kid it cannot get while the endpoint fails, and backs off', async () => {
    const a = makeKey();
    const b = makeKey();
    served = [a];
    const verifier = new AccessTokenVerifier({ jwksUrl: url }, { issuer: ISSUER, audience: AUDIENCE });
    expect(await outcome(verifier, sign(a))).toBe('ok');

    failing = true;
    served = [a, b];
    later(11 * MINUTE);
    fetches = 0;
    const results: string[] = [];
    for (let i = 0; i < 20; i++) results.push(await outcome(verifier, sign(b)));
    expect(new Set(results)).toEqual(new Set(['unavailable']));
    expect(fetches).toBeLessThanOrEqual(2);
    // the known key still works meanwhile
    expect(await outcome(verifier, sign(a))).toBe('ok');

    // The endpoint recovers: after the back-off the new key is fetched and verifies.
    failing = false;
    later(6 * MINUTE);
    expect(await outcome(verifier, sign(b))).toBe('ok');
  });

  it('refuses, as invalid, a kid the endpoint (answering) does not list, and drops a key the endpoint stopped listing', async () => {
    const a = makeKey();
    const stranger = makeKey();
    served = [a];
    const verifier = new AccessTokenVerifier({ jwksUrl: url }, { issuer: ISSUER, audience: AUDIENCE });
    expect(await outcome(verifier, sign(a))).toBe('ok');
    expect(await outcome(verifier, sign(stranger))).toBe('invalid');

    served = []; // a revoked (or long retired) key leaves the JWKS
    later(11 * MINUTE);
    await outcome(verifier, sign(a)); // the refresh this triggers may still answer from the old set
    await new Promise((r) => setTimeout(r, 200));
    expect(await outcome(verifier, sign(a))).toBe('invalid');
  });

  it('peekKey answers from the set in hand only, and stops answering for a key the endpoint stopped listing', async () => {
    const a = makeKey();
    served = [a];
    const verifier = new AccessTokenVerifier({ jwksUrl: url }, { issuer: ISSUER, audience: AUDIENCE, cache: new VerifiedTokenCache() });
    const keys = verifier.keys as JwksKeySource;
    expect(keys.peekKey(a.kid)).toBeUndefined(); // nothing fetched yet: only getKey can tell
    const token = sign(a);
    expect(await outcome(verifier, token)).toBe('ok');
    expect(keys.peekKey(a.kid)).toBeInstanceOf(KeyObject);
    expect(verifier.verifyCached(token)?.sub).toBeDefined();

    served = []; // revoked: it leaves the JWKS; peekKey starts the due refresh in the background
    later(11 * MINUTE);
    keys.peekKey(a.kid);
    await new Promise((r) => setTimeout(r, 200));
    expect(keys.peekKey(a.kid)).toBeUndefined();
    expect(verifier.verifyCached(token)).toBeUndefined();
    expect(await outcome(verifier, token)).toBe('invalid');
  });
});
