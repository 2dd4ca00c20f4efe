import Fastify, { FastifyInstance } from 'fastify';
import type { GatewayConfig } from '../config/gateway.config';
import { installEdgeHeaders } from './proxy';

/** The security headers every gateway response carries, built once and applied per response. */
describe('edge headers', () => {
  let app: FastifyInstance;

  beforeAll(async () => {
    app = Fastify();
    await installEdgeHeaders(app, { CORS_ORIGINS: 'https://app.example' } as GatewayConfig);
    app.get('/plain', async () => ({ ok: true }));
    app.get('/own-policy', async (_req, reply) => reply.header('content-security-policy', "default-src 'self'").send('<p>page</p>'));
    await app.ready();
  });
  afterAll(() => app.close());

  const SECURITY = {
    'content-security-policy': "default-src 'none';frame-ancestors 'none';base-uri 'none';form-action 'none'",
    'strict-transport-security': 'max-age=31536000; includeSubDomains',
    'x-frame-options': 'DENY',
    'x-content-type-options': 'nosniff',
    'cross-origin-resource-policy': 'same-site',
    'referrer-policy': 'no-referrer',
  };

  it('puts helmet\'s headers on every response, the same on each request', async () => {
    for (let i = 0; i < 3; i++) {
      const res = await app.inject({ method: 'GET', url: '/plain' });
      expect(res.statusCode).toBe(200);
      expect(res.headers).toMatchObject(SECURITY);
      expect(res.headers['x-powered-by']).toBeUndefined();
    }
  });

  it('on errors too: an unknown path\'s 404 carries them', async () => {
    const res = await app.inject({ method: 'GET', url: '/nowhere' });
    expect(res.statusCode).toBe(404);
    expect(res.headers).toMatchObject(SECURITY);
  });

  it('lets a route set its own Content-Security-Policy and keeps the others', async () => {
    const res = await app.inject({ method: 'GET', url: '/own-policy' });
    expect(res.headers['content-security-policy']).toBe("default-src 'self'");
    expect(res.headers['x-frame-options']).toBe('DENY');
  });

  it('answers CORS for the configured origin only', async () => {
    const allowed = await app.inject({ method: 'GET', url: '/plain', headers: { origin: 'https://app.example' } });
    expect(allowed.headers['access-control-allow-origin']).toBe('https://app.example');
    const other = await app.inject({ method: 'GET', url: '/plain', headers: { origin: 'https://evil.example' } });
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
  });
});
