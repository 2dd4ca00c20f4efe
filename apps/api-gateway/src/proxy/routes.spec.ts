import { loadConfig } from '@tally/config';
import { SERVICES, upstreamUrlEnv } from '@tally/contracts';
import { GatewayConfig } from '../config/gateway.config';
import { isPublicRoute, routeTable } from './routes';

describe('routeTable', () => {
  it('forwards every route of the service list to its service, at its port by default', () => {
    const table = routeTable(loadConfig(GatewayConfig, {}));
    const expected = SERVICES.flatMap((s) => s.routes.map((prefix) => ({ prefix, service: s.name, upstream: `http://127.0.0.1:${s.port}` })));
    expect(table).toEqual(expected);
    expect(table.map((r) => r.prefix)).toEqual(expect.arrayContaining(['/api/v1/auth', '/api/v1/groups', '/.well-known']));
  });

  it('sends a service its routes at the URL its setting names', () => {
    const config = loadConfig(GatewayConfig, { [upstreamUrlEnv('group-service')]: 'http://group-service:3002' });
    expect(routeTable(config).filter((r) => r.service === 'group-service').map((r) => r.upstream)).toEqual(['http://group-service:3002', 'http://group-service:3002']);
  });

  it('has no prefix owned twice', () => {
    const prefixes = routeTable(loadConfig(GatewayConfig, {})).map((r) => r.prefix);
    expect(new Set(prefixes).size).toBe(prefixes.length);
  });
});

describe('isPublicRoute', () => {
  it("lets payment providers' webhooks through without a token (POST /webhooks/<provider> only)", () => {
    expect(isPublicRoute('POST', '/webhooks/stripe')).toBe(true);
    expect(isPublicRoute('POST', '/webhooks/sandbox?x=1')).toBe(true);
    expect(isPublicRoute('GET', '/webhooks/stripe')).toBe(false);
    expect(isPublicRoute('POST', '/webhooks/stripe/extra')).toBe(false);
    expect(isPublicRoute('POST', '/webhooks/')).toBe(false);
    expect(isPublicRoute('POST', '/api/v1/payment-webhooks/1/replay')).toBe(false);
  });

  it("lets SMS providers' status callbacks through without a token (POST /callbacks/sms/<provider> only), to notification-service", () => {
    expect(isPublicRoute('POST', '/callbacks/sms/twilio')).toBe(true);
    expect(isPublicRoute('POST', '/callbacks/sms/twilio?deliveryId=5f0c3c1e-8a5b-4c1e-9a7e-2f1d3b4c5d6e')).toBe(true);
    expect(isPublicRoute('GET', '/callbacks/sms/twilio')).toBe(false);
    expect(isPublicRoute('POST', '/callbacks/sms/twilio/extra')).toBe(false);
    expect(isPublicRoute('POST', '/callbacks/sms/')).toBe(false);
    const owner = routeTable(loadConfig(GatewayConfig, {})).find((r) => '/callbacks/sms/twilio'.startsWith(`${r.prefix}/`));
    expect(owner?.service).toBe('notification-service');
  });

  it('passes the queue dashboard to notification-service, which checks its cookie (GET pages, POST session/logout only)', () => {
    expect(isPublicRoute('GET', '/admin/queues')).toBe(true);
    expect(isPublicRoute('GET', '/admin/queues/')).toBe(true);
    expect(isPublicRoute('GET', '/admin/queues/api/queues?activeQueue=email-delivery')).toBe(true);
    expect(isPublicRoute('GET', '/admin/queues/static/js/main.f10757109b.js')).toBe(true);
    expect(isPublicRoute('POST', '/admin/queues/session')).toBe(true);
    expect(isPublicRoute('PUT', '/admin/queues/api/queues/email-delivery/pause')).toBe(false);
    expect(isPublicRoute('POST', '/admin/queues/api/queues/email-delivery/retry/failed')).toBe(false);
    expect(isPublicRoute('GET', '/admin/queues/../api/v1/notifications')).toBe(false);
    expect(isPublicRoute('GET', '/admin/queues/%2e%2e/api/v1/notifications')).toBe(false);
    expect(isPublicRoute('GET', '/admin/queuesx')).toBe(false);
    expect(isPublicRoute('GET', '/api/v1/admin/users')).toBe(false);
  });
});
