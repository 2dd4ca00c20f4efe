/**
 * The queue dashboard through the gateway's edge (security headers, CORS, the gate, the proxy), in
 * process over real HTTP, against a local upstream standing in for notification-service's
 * /admin/queues: a browser's page load (a cookie, no bearer header) reaches the service, which does
 * the authentication; the service's own Content-Security-Policy reaches the browser instead of the
 * gateway's `default-src 'none'` (or the board's scripts would not run); writes need a bearer token.
 */
import { AddressInfo } from 'node:net';
import http from 'node:http';
import Fastify, { FastifyInstance } from 'fastify';
import pino from 'pino';
import { loadConfig } from '@tally/config';
import { GatewayConfig } from '../config/gateway.config';
import { POLICY_SETTINGS, resolvePolicies } from '../rate-limit/policies';
import { installEdgeHeaders, installProxy } from './proxy';

const BOARD_CSP = "default-src 'self'; script-src 'self'";
const seen: { method?: string; url?: string; cookie?: string; authorization?: string }[] = [];
let upstream: http.Server;
let gateway: FastifyInstance;
let gw: string;

beforeAll(async () => {
  upstream = http.createServer((req, res) => {
    if (req.url === '/.well-known/jwks.json') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [] }));
      return;
    }
    seen.push({ method: req.method, url: req.url, cookie: req.headers.cookie, authorization: req.headers.authorization });
    if (req.url?.startsWith('/admin/queues')) {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': BOARD_CSP }).end('<title>Tally queues</title>');
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  const config = loadConfig(GatewayConfig, {
    NODE_ENV: 'test', LOG_LEVEL: 'silent', NOTIFICATION_SERVICE_URL: base, AUTH_SERVICE_URL: base, AUTH_JWKS_URL: `${base}/.well-known/jwks.json`, RATE_LIMIT_ENABLED: 'false',
  });
  const policies = resolvePolicies(Object.fromEntries(Object.values(POLICY_SETTINGS).map((k) => [k, config[k]])));
  gateway = Fastify();
  await installEdgeHeaders(gateway, config);
  await installProxy(gateway, { config, logger: pino({ level: 'silent' }), policies });
  await gateway.listen({ port: 0, host: '127.0.0.1' });
  gw = `http://127.0.0.1:${(gateway.server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await gateway?.close();
  await new Promise((r) => upstream?.close(r));
});

it("forwards a page load with its cookie and no bearer header, and the service's CSP reaches the browser", async () => {
  const res = await fetch(`${gw}/admin/queues/queue/email-delivery`, { headers: { cookie: 'tally_queue_dashboard=abc', accept: 'text/html' } });
  expect(res.status).toBe(200);
  expect(await res.text()).toContain('Tally queues');
  expect(res.headers.get('content-security-policy')).toBe(BOARD_CSP);
  expect(res.headers.get('x-frame-options')).toBe('DENY'); // the gateway's other headers stay
  expect(seen.at(-1)).toMatchObject({ method: 'GET', url: '/admin/queues/queue/email-delivery', cookie: 'tally_queue_dashboard=abc' });
});

it('forwards the session route with the Authorization header the service checks', async () => {
  const res = await fetch(`${gw}/admin/queues/session`, { method: 'POST', headers: { authorization: 'Bearer a.b.c' } });
  expect(res.status).toBe(200);
  expect(seen.at(-1)).toMatchObject({ method: 'POST', url: '/admin/queues/session', authorization: 'Bearer a.b.c' });
});

it('refuses anything else under /admin/queues without a valid bearer token, before the service', async () => {
  const before = seen.length;
  const pause = await fetch(`${gw}/admin/queues/api/queues/email-delivery/pause`, { method: 'PUT', headers: { cookie: 'tally_queue_dashboard=abc' } });
  expect(pause.status).toBe(401);
  expect(pause.headers.get('content-type')).toContain('application/problem+json');
  const retry = await fetch(`${gw}/admin/queues/api/queues/email-delivery/retry/failed`, { method: 'POST' });
  expect(retry.status).toBe(401);
  expect(seen.length).toBe(before);
});
