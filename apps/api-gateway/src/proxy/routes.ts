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

/**
 * Reachable without an access token at the gateway (the owning service still applies its own
 * guard, so listing a route here never makes it less protected than the service says).
 * Everything else under /api/v1 needs one. Keep in line with the services' @Public() routes: the
 * gateway e2e spec checks every route the merged OpenAPI document marks public.
 */
const PUBLIC_ROUTES: { method: string; path: RegExp }[] = [
  { method: 'POST', path: /^\/api\/v1\/auth\/(register|login|refresh|logout|verify-email|verify-email\/resend|password\/forgot|password\/reset)$/ },
  { method: 'GET', path: /^\/\.well-known\/jwks\.json$/ },
];

export function isPublicRoute(method: string, url: string): boolean {
  const path = url.split('?')[0];
  return PUBLIC_ROUTES.some((r) => r.method === method && r.path.test(path));
}

/** The routes with their own, stricter rate limits. */
export type SensitiveRoute = 'login' | 'register' | 'recovery';

const SENSITIVE: Record<string, SensitiveRoute> = {
  '/api/v1/auth/login': 'login',
  '/api/v1/auth/register': 'register',
  '/api/v1/auth/password/forgot': 'recovery',
  '/api/v1/auth/password/reset': 'recovery',
  '/api/v1/auth/verify-email/resend': 'recovery',
};

/**
 * The path as a service's router would match it: percent-decoded, duplicate and trailing
 * slashes dropped, lower-cased. Matching on this (not the raw URL) keeps `/api/v1/auth/%6Cogin`
 * or `/API/v1//auth/login/` from slipping past the login limits.
 */
export function canonicalPath(url: string): string {
  let path = url.split('?')[0].split('#')[0];
  try {
    path = decodeURIComponent(path);
  } catch {
    // malformed escapes: match on the raw text
  }
  path = path.replace(/\/{2,}/g, '/').toLowerCase();
  if (path.length > 1 && path.endsWith('/')) path = path.replace(/\/+$/, '');
  return path;
}

export function sensitiveRoute(method: string, url: string): SensitiveRoute | undefined {
  if (method !== 'POST') return undefined;
  return SENSITIVE[canonicalPath(url)];
}
