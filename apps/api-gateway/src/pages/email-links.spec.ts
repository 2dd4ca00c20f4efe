import Fastify, { FastifyInstance } from 'fastify';
import pino from 'pino';
import type { GatewayConfig } from '../config/gateway.config';
import { resolvePolicies } from '../rate-limit/policies';
import { installEmailLinkPages } from './email-links';
import { PAGE_CONTENT_SECURITY_POLICY } from './page';

const TOKEN = 'tok_9f8A-7b_6C5d4E3f2G1h0iJkLmNoP';

/** The pages' GET side (the POST side calls auth-service: apps/e2e covers it). */
describe('email link pages', () => {
  let app: FastifyInstance;

  beforeAll(async () => {
    app = Fastify();
    installEmailLinkPages(app, { config: {} as GatewayConfig, logger: pino({ level: 'silent' }), policies: resolvePolicies({}) });
    await app.ready();
  });
  afterAll(() => app.close());

  it('shows the verification form for a well-formed token, with the pages\' headers', async () => {
    const res = await app.inject({ method: 'GET', url: `/verify-email?token=${TOKEN}` });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    expect(res.headers['content-security-policy']).toBe(PAGE_CONTENT_SECURITY_POLICY);
    expect(res.body).toContain(`<input type="hidden" name="token" value="${TOKEN}">`);
    expect(res.body).not.toContain('<script');
  });

  it('refuses a malformed token without echoing it', async () => {
    const res = await app.inject({ method: 'GET', url: `/reset-password?token=${encodeURIComponent('<b>x</b>')}` });
    expect(res.statusCode).toBe(400);
    expect(res.body).toContain('This password reset link is not valid.');
    expect(res.body).not.toContain('<b>x</b>');
  });
});
