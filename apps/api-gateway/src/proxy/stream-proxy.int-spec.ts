/**
 * The gateway's proxy with a streaming route (GET /api/v1/notifications/stream), in process over
 * real HTTP, against a local upstream that answers like notification-service's event stream: the
 * events arrive as they are sent (nothing buffered), the stream outlives UPSTREAM_TIMEOUT_MS, a
 * silent upstream is cut after STREAM_IDLE_TIMEOUT_MS, Last-Event-ID reaches the service, and
 * closing the gateway ends open streams at once.
 */
import { KeyObject, generateKeyPairSync, randomUUID } from 'node:crypto';
import { AddressInfo } from 'node:net';
import http from 'node:http';
import Fastify, { FastifyInstance } from 'fastify';
import { JwtService } from '@nestjs/jwt';
import pino from 'pino';
import { loadConfig } from '@tally/config';
import { expectEventually } from '@tally/testing';
import { GatewayConfig } from '../config/gateway.config';
import { POLICY_SETTINGS, resolvePolicies } from '../rate-limit/policies';
import { installProxy } from './proxy';

const key = { kid: `k-${randomUUID().slice(0, 8)}`, ...generateKeyPairSync('ec', { namedCurve: 'P-256' }) } as { kid: string; privateKey: KeyObject; publicKey: KeyObject };
const jwt = new JwtService();

/** What the fake notification-service does on its next stream request. */
let behaviour: 'tick' | 'silent' = 'tick';
const seen: http.IncomingHttpHeaders[] = [];
const upstreamResponses = new Set<http.ServerResponse>();
let upstream: http.Server;
let gateway: FastifyInstance;
let gw: string;

beforeAll(async () => {
  upstream = http.createServer((req, res) => {
    if (req.url === '/.well-known/jwks.json') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ keys: [{ ...key.publicKey.export({ format: 'jwk' }), kid: key.kid, alg: 'ES256', use: 'sig' }] }));
      return;
    }
    if (req.url?.startsWith('/api/v1/notifications/stream')) {
      seen.push(req.headers);
      upstreamResponses.add(res);
      res.on('close', () => upstreamResponses.delete(res));
      res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache, no-transform', 'x-accel-buffering': 'no' });
      res.write('retry: 3000\n\n');
      if (behaviour === 'silent') return;
      let n = 0;
      // Four events 1.2 s apart: each gap longer than UPSTREAM_TIMEOUT_MS, shorter than STREAM_IDLE_TIMEOUT_MS.
      const timer = setInterval(() => {
        n += 1;
        res.write(`id: c${n}\nevent: notification\ndata: {"n":${n}}\n\n`);
        if (n === 4) {
          clearInterval(timer);
          res.end();
        }
      }, 1200);
      res.on('close', () => clearInterval(timer));
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  const config = loadConfig(GatewayConfig, {
    NODE_ENV: 'test', LOG_LEVEL: 'silent', NOTIFICATION_SERVICE_URL: base, AUTH_SERVICE_URL: base, AUTH_JWKS_URL: `${base}/.well-known/jwks.json`,
    UPSTREAM_TIMEOUT_MS: '300', STREAM_IDLE_TIMEOUT_MS: '3000', RATE_LIMIT_ENABLED: 'false',
  });
  const policies = resolvePolicies(Object.fromEntries(Object.values(POLICY_SETTINGS).map((k) => [k, config[k]])));
  gateway = Fastify();
  await installProxy(gateway, { config, logger: pino({ level: 'silent' }), policies });
  await gateway.listen({ port: 0, host: '127.0.0.1' });
  gw = `http://127.0.0.1:${(gateway.server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await gateway?.close();
  for (const res of upstreamResponses) res.destroy();
  await new Promise((r) => upstream?.close(r));
});

function token(): string {
  const now = Math.floor(Date.now() / 1000);
  return jwt.sign(
    { typ: 'access', sub: randomUUID(), role: 'user', username: 'streamer', iss: 'tally-auth', aud: 'tally-api', iat: now, exp: now + 900, jti: randomUUID() },
    { privateKey: key.privateKey, algorithm: 'ES256', header: { alg: 'ES256', kid: key.kid, typ: 'at+jwt' } as never },
  );
}

/** Reads the stream through the gateway, noting when each chunk arrived. */
async function read(headers: Record<string, string> = {}) {
  const started = Date.now();
  const res = await fetch(`${gw}/api/v1/notifications/stream`, { headers: { authorization: `Bearer ${token()}`, accept: 'text/event-stream', ...headers } });
  const chunks: { at: number; text: string }[] = [];
  const state = { ended: false, endedAt: 0, error: undefined as unknown };
  const done = (async () => {
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    try {
      for (;;) {
        const { value, done: end } = await reader.read();
        if (end) break;
        chunks.push({ at: Date.now() - started, text: decoder.decode(value) });
      }
    } catch (err) {
      state.error = err;
    }
    state.ended = true;
    state.endedAt = Date.now() - started;
  })();
  return { res, chunks, state, done, text: () => chunks.map((c) => c.text).join('') };
}

describe('gateway: the notification stream', () => {
  it('passes events through as they come, for longer than UPSTREAM_TIMEOUT_MS, with Last-Event-ID forwarded', async () => {
    behaviour = 'tick';
    const s = await read({ 'last-event-id': 'abc_123' });
    expect(s.res.status).toBe(200);
    expect(s.res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(s.res.headers.get('x-accel-buffering')).toBe('no');
    expect(s.res.headers.get('content-encoding')).toBeNull();
    await s.done;
    expect(s.state.error).toBeUndefined();
    // All four events, though silence between them outlasted the upstream timeout of ordinary routes.
    expect(s.text()).toBe(`retry: 3000\n\n${[1, 2, 3, 4].map((n) => `id: c${n}\nevent: notification\ndata: {"n":${n}}\n\n`).join('')}`);
    // Not buffered: each event arrived when it was sent, not all at the end.
    const first = s.chunks.find((c) => c.text.includes('data: {"n":1}'))!;
    const last = s.chunks.find((c) => c.text.includes('data: {"n":4}'))!;
    expect(last.at - first.at).toBeGreaterThan(3000);
    expect(seen[seen.length - 1]['last-event-id']).toBe('abc_123');
  });

  it('cuts a stream whose upstream stays silent for STREAM_IDLE_TIMEOUT_MS', async () => {
    behaviour = 'silent';
    const s = await read();
    expect(s.res.status).toBe(200);
    await expectEventually(() => expect(s.state.ended).toBe(true), { timeoutMs: 7000, intervalMs: 100 });
    expect(s.text()).toBe('retry: 3000\n\n');
    expect(s.chunks.length).toBe(1);
    // Not at the ordinary routes' 300 ms: only after 3 s of silence.
    expect(s.state.endedAt).toBeGreaterThanOrEqual(2900);
    await expectEventually(() => expect(upstreamResponses.size).toBe(0), { timeoutMs: 3000, intervalMs: 50, what: 'upstream request closed' });
  });

  it('closes the upstream request when the client goes away', async () => {
    behaviour = 'silent';
    const abort = new AbortController();
    const res = await fetch(`${gw}/api/v1/notifications/stream`, { headers: { authorization: `Bearer ${token()}` }, signal: abort.signal });
    expect(res.status).toBe(200);
    await expectEventually(() => expect(upstreamResponses.size).toBe(1), { timeoutMs: 2000, intervalMs: 20 });
    abort.abort();
    await expectEventually(() => expect(upstreamResponses.size).toBe(0), { timeoutMs: 1000, intervalMs: 20, what: 'upstream request closed' });
  });

  it('needs a token like every other route', async () => {
    const res = await fetch(`${gw}/api/v1/notifications/stream`);
    expect(res.status).toBe(401);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
  });

  it('ends open streams when the gateway closes, without waiting for them', async () => {
    behaviour = 'silent';
    const s = await read();
    expect(s.res.status).toBe(200);
    const started = Date.now();
    await gateway.close();
    expect(Date.now() - started).toBeLessThan(500);
    await expectEventually(() => expect(s.state.ended).toBe(true), { timeoutMs: 2000, intervalMs: 20 });
  });
});
