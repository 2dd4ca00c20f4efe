import { GatewayConfig } from '../config/gateway.config';

export interface UpstreamRoute {
  prefix: string;
  upstream: string;
  service: string;
}

/** Which service owns which public path. Paths are passed through unchanged. */
export function routeTable(c: GatewayConfig): UpstreamRoute[] {
  const r = (service: string, upstream: string, prefixes: string[]) => prefixes.map((prefix) => ({ prefix, upstream, service }));
  return [
    ...r('auth-service', c.AUTH_SERVICE_URL, ['/api/v1/auth', '/api/v1/users', '/api/v1/friendships', '/api/v1/devices', '/api/v1/countries', '/api/v1/admin', '/.well-known']),
    ...r('group-service', c.GROUP_SERVICE_URL, ['/api/v1/groups', '/api/v1/invitations']),
    ...r('expense-service', c.EXPENSE_SERVICE_URL, ['/api/v1/expenses', '/api/v1/accounts', '/api/v1/transactions', '/api/v1/budgets', '/api/v1/categories', '/api/v1/tags', '/api/v1/currencies', '/api/v1/recurring-expenses', '/api/v1/recurring-transactions']),
    ...r('payment-service', c.PAYMENT_SERVICE_URL, ['/api/v1/payment-methods', '/api/v1/settlements', '/api/v1/payments', '/api/v1/webhooks']),
    ...r('analytics-service', c.ANALYTICS_SERVICE_URL, ['/api/v1/activity', '/api/v1/reports', '/api/v1/analytics']),
    ...r('notification-service', c.NOTIFICATION_SERVICE_URL, ['/api/v1/notifications', '/api/v1/notification-preferences']),
  ];
}

/** Reachable without an access token. Everything else under /api/v1 needs one. */
const PUBLIC_ROUTES: { method: string; path: RegExp }[] = [
  { method: 'POST', path: /^\/api\/v1\/auth\/(register|login|verify-email)$/ },
  { method: 'GET', path: /^\/\.well-known\/jwks\.json$/ },
];

export function isPublicRoute(method: string, url: string): boolean {
  const path = url.split('?')[0];
  return PUBLIC_ROUTES.some((r) => r.method === method && r.path.test(path));
}
