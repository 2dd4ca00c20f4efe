import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import httpProxy from '@fastify/http-proxy';
import helmet from '@fastify/helmet';
import cors from '@fastify/cors';
import type { Logger } from 'pino';
import { currentContext } from '@tally/observability';
import { AccessTokenVerifier, InvalidTokenError, bearerToken } from '@tally/security';
import { PROBLEM_CONTENT_TYPE, problem } from '@tally/service-kit';
import { GatewayConfig } from '../config/gateway.config';
import { isPublicRoute, routeTable } from './routes';

function sendProblem(reply: FastifyReply, status: number, detail: string, extra: Record<string, unknown> = {}) {
  return reply.status(status).header('content-type', PROBLEM_CONTENT_TYPE).send({ ...problem(status, detail, extra), instance: reply.request.url.split('?')[0] });
}

const UPSTREAM_DOWN = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ECONNRESET', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT', 'EAI_AGAIN']);

/** The public edge: security headers, CORS, token check, then a pass-through proxy per owning service. */
export async function installProxy(fastify: FastifyInstance, config: GatewayConfig, logger: Logger): Promise<void> {
  await fastify.register(helmet, { contentSecurityPolicy: false, crossOriginResourcePolicy: { policy: 'same-site' } });
  const origins = config.CORS_ORIGINS.split(',').map((o) => o.trim()).filter(Boolean);
  await fastify.register(cors, {
    origin: origins.length ? origins : false,
    credentials: true,
    exposedHeaders: ['x-request-id', 'retry-after', 'ratelimit-limit', 'ratelimit-remaining', 'ratelimit-reset'],
  });

  const verifier = new AccessTokenVerifier(
    { jwksUrl: config.AUTH_JWKS_URL ?? `${config.AUTH_SERVICE_URL.replace(/\/$/, '')}/.well-known/jwks.json` },
    { issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE },
  );

  const authenticate = async (req: FastifyRequest, reply: FastifyReply) => {
    if (isPublicRoute(req.method, req.url)) return;
    const token = bearerToken(req.headers.authorization);
    if (!token) return sendProblem(reply, 401, 'A bearer access token is required.');
    try {
      const claims = await verifier.verify(token);
      const ctx = currentContext();
      if (ctx) ctx.userId = claims.sub;
    } catch (err) {
      if (err instanceof InvalidTokenError) return sendProblem(reply, 401, `The access token is not valid: ${err.message}.`);
      logger.warn({ err: (err as Error).message }, 'cannot verify tokens: signing keys unavailable');
      return sendProblem(reply, 503, 'Authentication is temporarily unavailable; try again shortly.');
    }
  };

  for (const route of routeTable(config)) {
    await fastify.register(httpProxy, {
      upstream: route.upstream,
      prefix: route.prefix,
      rewritePrefix: route.prefix,
      http2: false,
      preHandler: authenticate,
      undici: { connections: 64, pipelining: 1, connectTimeout: 2000, headersTimeout: config.UPSTREAM_TIMEOUT_MS, bodyTimeout: config.UPSTREAM_TIMEOUT_MS },
      replyOptions: {
        rewriteRequestHeaders: (_req, headers) => {
          const ctx = currentContext();
          const out: Record<string, string | string[] | undefined> = { ...headers };
          delete out['x-user-id'];
          if (ctx) {
            out['x-request-id'] = ctx.correlationId;
            if (ctx.traceparent) out.traceparent = ctx.traceparent;
          }
          return out as typeof headers;
        },
        onError: (reply, { error }) => {
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
}
