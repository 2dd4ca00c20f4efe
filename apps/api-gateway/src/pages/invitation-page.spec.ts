import Fastify, { FastifyInstance } from 'fastify';
import pino from 'pino';
import { resolvePolicies } from '../rate-limit/policies';
import { RateLimiter } from '../rate-limit/rate-limiter';
import { installInvitationPage } from './invitation-page';
import { PAGE_CONTENT_SECURITY_POLICY } from './page';

const ID = '3f2a9c1e-7b4d-4e8a-9c0f-1d2e3f4a5b6c';

function expectSafePageHeaders(headers: Record<string, unknown>) {
  expect(headers['content-type']).toBe('text/html; charset=utf-8');
  expect(headers['cache-control']).toBe('no-store');
  expect(headers['referrer-policy']).toBe('no-referrer');
  expect(headers['x-robots-tag']).toBe('noindex');
  expect(headers['content-security-policy']).toBe(PAGE_CONTENT_SECURITY_POLICY);
  expect(PAGE_CONTENT_SECURITY_POLICY).toMatch(/^default-src 'none';/);
  expect(PAGE_CONTENT_SECURITY_POLICY).toContain("frame-ancestors 'none'");
}

describe('GET /invitations/:id', () => {
  let app: FastifyInstance;

  beforeAll(async () => {
    app = Fastify();
    installInvitationPage(app, { policies: resolvePolicies({}) });
    await app.ready();
  });
  afterAll(() => app.close());

  it('says how to accept the invitation: signed in with the address it was sent to, or with the API', async () => {
    const res = await app.inject({ method: 'GET', url: `/invitations/${ID}` });
    expect(res.statusCode).toBe(200);
    expectSafePageHeaders(res.headers);
    expect(res.body).toContain('You are invited to a Tally group');
    expect(res.body).toContain(`sign in to Tally with the email address the invitation was sent to, and accept invitation ${ID}.`);
    expect(res.body).toContain('Create one with that email address and verify it first');
    expect(res.body).toContain(`<code>POST /api/v1/invitations/${ID}/accept</code>`);
    expect(res.body).toContain(`<code>POST /api/v1/invitations/${ID}/decline</code>`);
    expect(res.body).not.toMatch(/<script|<form|<img|<link/i);
  });

  it('shows the id lower-cased', async () => {
    const res = await app.inject({ method: 'GET', url: `/invitations/${ID.toUpperCase()}` });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain(`accept invitation ${ID}.`);
  });

  it.each([
    ['not a UUID', '/invitations/not-a-uuid'],
    ['markup', `/invitations/${encodeURIComponent('<script>alert(1)</script>')}`],
    ['a UUID with a suffix', `/invitations/${ID}x`],
  ])('answers %s with a 404 page that echoes nothing', async (_what, url) => {
    const res = await app.inject({ method: 'GET', url });
    expect(res.statusCode).toBe(404);
    expectSafePageHeaders(res.headers);
    expect(res.body).toContain('Invitation not found');
    expect(res.body).not.toContain('<script>');
    expect(res.body).not.toContain('not-a-uuid');
  });

  it('is limited per address like the other link pages, answering with a page', async () => {
    const limited = Fastify();
    const limiter = new RateLimiter({ prefix: 'test:', timeoutMs: 10, logger: pino({ level: 'silent' }) });
    installInvitationPage(limited, { limiter, policies: resolvePolicies({ RATE_LIMIT_ANONYMOUS_IP: '1/1m' }) });
    await limited.ready();
    try {
      expect((await limited.inject({ method: 'GET', url: `/invitations/${ID}` })).statusCode).toBe(200);
      const res = await limited.inject({ method: 'GET', url: `/invitations/${ID}` });
      expect(res.statusCode).toBe(429);
      expectSafePageHeaders(res.headers);
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
      expect(res.body).toContain('Too many attempts');
    } finally {
      await limited.close();
    }
  });
});
