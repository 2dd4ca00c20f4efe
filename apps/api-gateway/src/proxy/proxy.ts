import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import httpProxy from '@fastify/http-proxy';
import helmet from 'helmet';
import cors from '@fastify/cors';
import type { Logger } from 'pino';
import { currentContext } from '@tally/observability';
import { JwtService } from '@nestjs/jwt';
import { AccessTokenVerifier, InvalidTokenError, JwksKeySource, VerifiedTokenCache, accessTokenJwtOptions, bearerToken } from '@tally/security';
import { PROBLEM_CONTENT_TYPE, problem } from '@tally/service-kit';
import { GatewayConfig } from '../config/gateway.config';
import { FailMode, LimitCheck, LimitDecision, RateLimiter, bindingQuota, rateLimitHeaders } from '../rate-limit/rate-limiter';
import { RatePolicies } from '../rate-limit/policies';
import { accountFromBody, accountKey, clientIpKey, userKey } from '../rate-limit/client-keys';
import { SensitiveRoute, isPublicRoute, isStreamRoute, routeTable, sensitiveRoute } from './routes';

export function sendProblem(reply: FastifyReply, status: number, detail: string, extra: Record<string, unknown> = {}) {
  return reply.status(status).header('content-type', PROBLEM_CONTENT_TYPE).send({ ...problem(status, detail, extra), instance: reply.request.url.split('?')[0] });
}

const UPSTREAM_DOWN = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ECONNRESET', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT', 'EAI_AGAIN']);

export interface EdgeDeps {
  config: GatewayConfig;
  logger: Logger;
  /** Absent when RATE_LIMIT_ENABLED=false. */
  limiter?: RateLimiter;
  policies: RatePolicies;
}

/**
 * Security headers and CORS for every gateway response (proxied, docs, errors).
 *
 * Helmet's middleware is built once, here, and applied to each response. (`@fastify/helmet`, used
 * before, calls `helmet(options)` again for every request: building the whole middleware, its
 * Content-Security-Policy included, was a quarter of the gateway's CPU per proxied request.) The
 * headers are the same: helmet sets them on the raw response, and what a route sets itself (the
 * /docs and email-link pages' own Content-Security-Policy) takes precedence when Fastify writes.
 */
export async function installEdgeHeaders(fastify: FastifyInstance, config: GatewayConfig): Promise<void> {
  const securityHeaders = helmet({
    // A JSON API: nothing may be loaded or framed from its responses. /docs sets its own policy.
    contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"], baseUri: ["'none'"], formAction: ["'none'"] } },
    crossOriginResourcePolicy: { policy: 'same-site' },
    frameguard: { action: 'deny' },
    strictTransportSecurity: { maxAge: 31_536_000, includeSubDomains: true },
  });
  fastify.addHook('onRequest', (req, reply, done) => {
    securityHeaders(req.raw, reply.raw, (err?: unknown) => done(err as Error | undefined));
  });
  const origins = config.CORS_ORIGINS.split(',').map((o) => o.trim()).filter(Boolean);
  await fastify.register(cors, {
    origin: origins.length ? origins : false,
    credentials: true,
    exposedHeaders: ['x-request-id', 'retry-after', 'ratelimit-limit', 'ratelimit-remaining', 'ratelimit-reset', 'ratelimit-policy'],
  });
}

/**
 * Decides who a request is (a verified user, or a client address) and whether its quota allows
 * it, then whether it may pass without a token. Sets the RateLimit headers on every response it
 * decided; refuses with 429 problem+json (and Retry-After) when over quota.
 */
export function createGate(deps: EdgeDeps, verifier: AccessTokenVerifier) {
  const { policies, limiter } = deps;

  const sensitiveChecks = (kind: SensitiveRoute, ip: string, req: FastifyRequest): LimitCheck[] => {
    const account = kind === 'register' ? undefined : accountFromBody(req.body, req.headers['content-type']);
    const [ipPolicy, accountPolicy] =
      kind === 'login' ? [policies.loginIp, policies.loginAccount] : kind === 'register' ? [policies.registerIp, undefined] : [policies.recoveryIp, policies.recoveryAccount];
    const checks: LimitCheck[] = [{ policy: ipPolicy, key: ip }];
    if (account && accountPolicy) checks.push({ policy: accountPolicy, key: accountKey(account) });
    return checks;
  };

  /**
   * Most requests are a known client's: a token verified before and a lease of its quota in hand. They
   * are decided here without a promise (the same decision the full path below makes for them); any
   * other request, or one these cannot answer at once, takes the full path.
   */
  function gate(req: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void): void {
    const token = bearerToken(req.headers.authorization);
    const claims = token && !sensitiveRoute(req.method, req.url) ? verifier.verifyCached(token) : undefined;
    if (claims) {
      const decision = limiter?.checkNow({ policy: policies.user, key: userKey(claims.sub) });
      if (!limiter || decision) {
        const ctx = currentContext();
        if (ctx) ctx.userId = claims.sub;
        if (decision) applyDecision(deps, req, reply, decision);
        // As Fastify does after an async hook: carry on; a reply sent here (429) ends the request there.
        done();
        return;
      }
    }
    fullGate(req, reply).then(() => done(), done);
  }
  return gate;

  async function fullGate(req: FastifyRequest, reply: FastifyReply): Promise<unknown> {
    const publicRoute = isPublicRoute(req.method, req.url);
    const sensitive = sensitiveRoute(req.method, req.url);

    let userId: string | undefined;
    let refusal: (() => unknown) | undefined;
    const token = bearerToken(req.headers.authorization);
    if (token) {
      try {
        userId = (await verifier.verify(token)).sub;
        const ctx = currentContext();
        if (ctx) ctx.userId = userId;
      } catch (err) {
        if (!publicRoute) {
          if (err instanceof InvalidTokenError) refusal = () => sendProblem(reply, 401, `The access token is not valid: ${err.message}.`);
          else {
            deps.logger.warn({ err: (err as Error).message }, 'cannot verify tokens: signing keys unavailable');
            refusal = () => sendProblem(reply, 503, 'Authentication is temporarily unavailable; try again shortly.');
          }
        }
      }
    } else if (!publicRoute) {
      refusal = () => sendProblem(reply, 401, 'A bearer access token is required.');
    }

    if (limiter) {
      const ip = clientIpKey(req.ip);
      let checks: LimitCheck[];
      let failMode: FailMode;
      if (sensitive) {
        checks = sensitiveChecks(sensitive, ip, req);
        failMode = 'memory';
      } else if (userId && !refusal) {
        checks = [{ policy: policies.user, key: userKey(userId) }];
        failMode = 'open';
      } else {
        // Also requests about to be refused for their token: guessing tokens costs quota too.
        checks = [{ policy: policies.anonymousIp, key: ip }];
        failMode = 'open';
      }
      const decision = await limiter.check(checks, failMode);
      if (!applyDecision(deps, req, reply, decision)) return reply;
    }
    if (refusal) return refusal();
  }
}

/** Puts the RateLimit headers on the reply; sends 429 and returns false when refused. */
function applyDecision(deps: EdgeDeps, req: FastifyRequest, reply: FastifyReply, decision: LimitDecision): boolean {
  void reply.headers(rateLimitHeaders(decision));
  if (decision.allowed) return true;
  const b = bindingQuota(decision)!;
  const retryAfter = Math.max(1, Math.ceil(b.retryMs / 1000));
  deps.logger.info({ policy: b.policy.name, source: decision.source, path: req.url.split('?')[0] }, 'rate limited');
  void sendProblem(reply, 429, `Too many requests; retry in ${retryAfter} s.`, { code: 'RATE_LIMITED', policy: b.policy.name, retryAfter });
  return false;
}

/** The per-IP quota alone, for the gateway's own routes (/openapi.json, /docs). */
export function createAnonymousLimit(deps: EdgeDeps) {
  return async function anonymousLimit(req: FastifyRequest, reply: FastifyReply): Promise<unknown> {
    if (!deps.limiter) return;
    const decision = await deps.limiter.check([{ policy: deps.policies.anonymousIp, key: clientIpKey(req.ip) }], 'open');
    if (!applyDecision(deps, req, reply, decision)) return reply;
  };
}

/** Problem+json for errors in the proxy scope (body too large, bad media type, ...). */
function proxyErrorHandler(logger: Logger) {
  return (error: FastifyError, _req: FastifyRequest, reply: FastifyReply) => {
    const status = typeof error.statusCode === 'number' ? error.statusCode : 500;
    if (status >= 400 && status < 500) {
      if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') void reply.header('connection', 'close');
      return sendProblem(reply, status, error.message, error.code ? { code: error.code } : {});
    }
    logger.error({ err: error.message, code: error.code }, 'gateway error');
    return sendProblem(reply, 500, 'An unexpected error occurred. It has been logged.');
  };
}

/**
 * Verifies tokens at the edge through @nestjs/jwt with auth's JWKS: the last good key set keeps
 * verifying while auth is unreachable (503 only for a kid it cannot get), and a verified token is
 * answered from the cache until it expires or its key leaves the set.
 */
export function gatewayVerifier(config: GatewayConfig, logger: Logger): AccessTokenVerifier {
  const keys = new JwksKeySource({
    url: config.AUTH_JWKS_URL ?? `${config.AUTH_SERVICE_URL.replace(/\/$/, '')}/.well-known/jwks.json`,
    refreshMs: config.JWKS_REFRESH_MS,
    maxBackoffMs: config.JWKS_MAX_BACKOFF_MS,
    logger: logger.child({ component: 'jwks' }),
  });
  // Fetched at start, so the first requests do not wait for it (a failure is logged and retried on demand).
  void keys.refresh().catch(() => undefined);
  const opts = { issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE };
  const cache = config.TOKEN_CACHE_MAX > 0 ? new VerifiedTokenCache({ max: config.TOKEN_CACHE_MAX }) : undefined;
  return new AccessTokenVerifier(keys, { ...opts, jwt: new JwtService(accessTokenJwtOptions(opts)), cache });
}

/**
 * The public edge: a pass-through proxy per owning service, behind the gate. Bodies are read
 * whole (at most BODY_LIMIT_BYTES: 413 past it) and forwarded byte for byte, with the original
 * content type, so the gateway can read the account a login names without changing what the
 * service receives.
 */
export async function installProxy(fastify: FastifyInstance, deps: EdgeDeps): Promise<void> {
  const { config, logger } = deps;
  const gate = createGate(deps, gatewayVerifier(config, logger));
  // Open event streams end when the gateway closes (clients reconnect to another replica and resume
  // with Last-Event-ID); otherwise closing would wait for them until SHUTDOWN_TIMEOUT_MS.
  const streams = new Set<FastifyReply['raw']>();
  fastify.addHook('preClose', (done) => {
    for (const raw of streams) raw.destroy();
    done();
  });

  await fastify.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: config.BODY_LIMIT_BYTES }, (_req, body, done) => done(null, body));
    scope.setErrorHandler(proxyErrorHandler(logger));

    for (const route of routeTable(config)) {
      await scope.register(httpProxy, {
        upstream: route.upstream,
        prefix: route.prefix,
        rewritePrefix: route.prefix,
        http2: false,
        proxyPayloads: false,
        preHandler: gate,
        handler: (req, reply, dest, options) => {
          // undici's own timeouts (below) tick at a 1 s resolution: this deadline is exact.
          const deadline = setTimeout(() => {
            if (reply.sent || reply.raw.headersSent) return;
            logger.warn({ upstream: route.service, timeoutMs: config.UPSTREAM_TIMEOUT_MS }, 'upstream did not answer in time');
            void sendProblem(reply, 504, `${route.service} did not answer in time.`);
          }, config.UPSTREAM_TIMEOUT_MS);
          reply.raw.once('close', () => clearTimeout(deadline));
          if (isStreamRoute(req.method, req.url)) {
            streams.add(reply.raw);
            reply.raw.once('close', () => streams.delete(reply.raw));
            // No total limit, only an idle one (undici's bodyTimeout is the gap between two chunks).
            return reply.from(dest, { ...options, timeout: config.STREAM_IDLE_TIMEOUT_MS });
          }
          const body = req.body;
          if (Buffer.isBuffer(body) && req.method !== 'GET' && req.method !== 'HEAD') {
            const contentType = req.headers['content-type'] ?? 'application/octet-stream';
            return reply.from(dest, { ...options, body, contentType });
          }
          return reply.from(dest, options);
        },
        undici: { connections: 64, pipelining: 1, connectTimeout: 2000, headersTimeout: config.UPSTREAM_TIMEOUT_MS, bodyTimeout: config.UPSTREAM_TIMEOUT_MS },
        replyOptions: {
          rewriteRequestHeaders: (req, headers) => {
            const ctx = currentContext();
            const out: Record<string, string | string[] | undefined> = { ...headers };
            delete out['x-user-id'];
            // The client address as this gateway determined it (TRUST_PROXY), never what a client claims.
            out['x-forwarded-for'] = req.ip;
            out['x-forwarded-proto'] = req.protocol;
            if (ctx) {
              out['x-request-id'] = ctx.correlationId;
              if (ctx.traceparent) out.traceparent = ctx.traceparent;
            }
            return out as typeof headers;
          },
          onError: (reply, { error }) => {
            if ((reply as FastifyReply).sent) return; // the deadline already answered 504
            const e = error as { statusCode?: number; code?: string; cause?: { code?: string } };
            const code = e.cause?.code ?? e.code;
            const timedOut = e.statusCode === 504 || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT';
            logger.warn({ upstream: route.service, code, status: e.statusCode }, 'upstream failed');
            if (timedOut) void sendProblem(reply as FastifyReply, 504, `${route.service} did not answer in time.`);
            else if (e.statusCode === 503 || (code && UPSTREAM_DOWN.has(code)) || !e.statusCode || e.statusCode >= 500)
              void sendProblem(reply as FastifyReply, 503, `${route.service} is unavailable; try again shortly.`);
            else void sendProblem(reply as FastifyReply, e.statusCode, (error as Error).message);
          },
        },
      });
    }
  });
}
