import { routedServices, upstreamUrlEnv } from '@tally/contracts';
import { GatewayConfig } from '../config/gateway.config';

export interface UpstreamRoute {
  prefix: string;
  upstream: string;
  service: string;
}

/**
 * Which service owns which public path: the `routes` of libs/contracts/src/services.ts, each to
 * the service's upstream URL setting (`AUTH_SERVICE_URL`, ...). Paths are passed through unchanged.
 */
export function routeTable(c: GatewayConfig): UpstreamRoute[] {
  return routedServices().flatMap((s) => s.routes.map((prefix) => ({ prefix, upstream: c[upstreamUrlEnv(s.name)], service: s.name })));
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
  // Payment providers' webhooks (payment-service): the signature over the raw body is their authentication.
  // Any one segment: the service refuses a malformed provider name itself (400/404, problem+json).
  // Anonymous, so under the per-IP quota (RATE_LIMIT_ANONYMOUS_IP): a provider whose burst exceeds it gets
  // 429 and delivers again later (Stripe retries for days), so events are delayed, never lost.
  { method: 'POST', path: /^\/webhooks\/[^/]+$/ },
  // Email open pixels and tracked links (notification-service): a mail client has no token; the HMAC in the path is the authentication.
  { method: 'GET', path: /^\/email\/(open|click)\/[^/]+$/ },
  // SMS providers' status callbacks (notification-service): Twilio has no token; X-Twilio-Signature is the authentication.
  // Any one segment, like /webhooks: the service answers an unknown provider itself (404, problem+json).
  { method: 'POST', path: /^\/callbacks\/sms\/[^/]+$/ },
  // The queue dashboard (notification-service): a browser opening its pages sends no bearer header, so
  // notification-service authenticates each of its requests itself, by the cookie an admin gets from
  // POST /admin/queues/session with an access token (anonymous 401, non-admins 403). No `..` or escapes.
  { method: 'GET', path: /^\/admin\/queues(?:\/(?!.*\.\.)[A-Za-z0-9._~:\/-]*)?$/ },
  { method: 'POST', path: /^\/admin\/queues\/(session|logout)$/ },
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

/**
 * Long-lived responses (Server-Sent Events), proxied without the UPSTREAM_TIMEOUT_MS body limit:
 * only STREAM_IDLE_TIMEOUT_MS of silence cuts them. Passed through unbuffered and uncompressed, with
 * Last-Event-ID forwarded like every other request header.
 */
const STREAM_ROUTES: { method: string; path: string }[] = [{ method: 'GET', path: '/api/v1/notifications/stream' }];

export function isStreamRoute(method: string, url: string): boolean {
  const path = canonicalPath(url);
  return STREAM_ROUTES.some((r) => r.method === method && r.path === path);
}
