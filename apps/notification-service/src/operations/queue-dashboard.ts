import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import { Queue } from 'bullmq';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import Redis from 'ioredis';
import type { Logger } from 'pino';
import { Queues } from '@tally/contracts';
import { AccessTokenVerifier, InvalidTokenError, UserStatusSource, bearerToken } from '@tally/security';
import { PROBLEM_CONTENT_TYPE, problem } from '@tally/service-kit';

/** Where the dashboard is, at the gateway and in notification-service alike (services.ts routes it here). */
export const QUEUE_DASHBOARD_PATH = '/admin/queues';
/** The cookie that carries an admin's access token to the dashboard's pages (and only to them: its Path). */
export const DASHBOARD_COOKIE = 'tally_queue_dashboard';
/** A dashboard session lasts at most this long, and never past the token's own expiry. */
const MAX_SESSION_SECONDS = 15 * 60;

/**
 * Bull Board loads its own scripts and styles (and IBM Plex from Google Fonts) and polls its JSON
 * API on the same origin; nothing else. Replaces the gateway's `default-src 'none'` for these pages.
 */
const CSP = [
  "default-src 'self'", "script-src 'self'", "style-src 'self' 'unsafe-inline' https://fonts.googleapis.com", "font-src 'self' https://fonts.gstatic.com",
  "img-src 'self' data:", "connect-src 'self'", "frame-ancestors 'none'", "base-uri 'self'", "form-action 'self'", "object-src 'none'",
].join('; ');

export interface QueueDashboardOptions {
  redisUrl: string;
  /** The run's BullMQ key prefix (QUEUE_PREFIX), the same the producers and workers use. */
  prefix: string;
  verifier: AccessTokenVerifier;
  userStatus?: UserStatusSource;
  logger: Logger;
  /** Every queue of every service by default (contracts' `Queues`). */
  queues?: readonly string[];
}

export interface QueueDashboard {
  close(): Promise<void>;
}

const LOGIN_PAGE = `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="robots" content="noindex"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Tally queues: sign in</title></head>
<body style="font-family:sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem">
<h1>Tally queues</h1>
<p>Platform admins only. Paste an access token of your admin account (from <code>POST /api/v1/auth/login</code>); the dashboard keeps it in a
cookie for this page only, until the token expires (at most 15 minutes).</p>
<form method="post" action="${QUEUE_DASHBOARD_PATH}/session">
<label>Access token <input type="password" name="token" autocomplete="off" required style="width:100%"></label>
<p><button type="submit">Open the dashboard</button></p>
</form></body></html>`;

function readCookie(header: string | undefined, name: string): string | null {
  if (!header) return null;
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) return part.slice(i + 1).trim() || null;
  }
  return null;
}

const wantsHtml = (req: FastifyRequest) => /text\/html/.test(String(req.headers.accept ?? ''));
const isHttps = (req: FastifyRequest) => req.protocol === 'https' || String(req.headers['x-forwarded-proto'] ?? '').split(',')[0].trim() === 'https';

function refuse(req: FastifyRequest, reply: FastifyReply, status: 401 | 403 | 503, detail: string, code: string) {
  if (status === 401 && wantsHtml(req) && req.method === 'GET') return reply.status(401).header('content-type', 'text/html; charset=utf-8').send(LOGIN_PAGE);
  return reply.status(status).header('content-type', PROBLEM_CONTENT_TYPE).send({ ...problem(status, detail, { code }), instance: req.url.split('?')[0] });
}

/**
 * Bull Board over every queue (contracts' `Queues`, under this run's QUEUE_PREFIX), read-only, at
 * `/admin/queues`, for platform admins. A browser cannot send a bearer header when it opens a page,
 * so an admin trades one for a cookie: `POST /admin/queues/session` with the access token (the
 * `Authorization` header, or the sign-in form's `token` field) answers 303 to the dashboard and sets
 * `tally_queue_dashboard` = that token, `HttpOnly; SameSite=Strict; Path=/admin/queues` (`Secure`
 * behind https), for the token's remaining life (at most 15 minutes). Every dashboard request,
 * page, script or API, is checked like a bearer token (signature, expiry, account still active)
 * and must be an admin's: no cookie 401 (a browser gets the sign-in form), a non-admin's 403,
 * never the board. Nothing new to keep secret or to share between replicas.
 *
 * Read-only: retrying or removing a job from the board would bypass the dead-letter bookkeeping (a
 * failed delivery's row stays `failed`, so a retried job finds it finished and does nothing); the
 * replay routes of `/api/v1/notification-deliveries` put the row back and then the job.
 */
export async function installQueueDashboard(fastify: FastifyInstance, opts: QueueDashboardOptions): Promise<QueueDashboard> {
  const connection = new Redis(opts.redisUrl, { maxRetriesPerRequest: 1, connectTimeout: 3000, retryStrategy: (times) => Math.min(times * 500, 5000) });
  connection.on('error', (err) => opts.logger.debug({ err: err.message }, 'queue dashboard redis error'));
  const queues = (opts.queues ?? Object.values(Queues)).map((name) => {
    const q = new Queue(name, { connection, prefix: opts.prefix });
    q.on('error', (err) => opts.logger.debug({ err: err.message, queue: name }, 'queue dashboard queue error'));
    return q;
  });

  const serverAdapter = new FastifyAdapter();
  serverAdapter.setBasePath(QUEUE_DASHBOARD_PATH);
  createBullBoard({
    queues: queues.map((q) => new BullMQAdapter(q, { readOnlyMode: true })),
    serverAdapter,
    options: { uiConfig: { boardTitle: 'Tally queues', hideDocsLink: true } },
  });

  /** The admin a token belongs to, or why not. */
  const admin = async (token: string | null): Promise<{ ok: true; exp: number } | { ok: false; status: 401 | 403 | 503; detail: string; code: string }> => {
    if (!token) return { ok: false, status: 401, detail: 'Sign in: POST an admin access token to /admin/queues/session.', code: 'SIGN_IN_REQUIRED' };
    try {
      const claims = await opts.verifier.verify(token);
      if (opts.userStatus && !(await opts.userStatus.isActive(claims.sub))) return { ok: false, status: 401, detail: 'The access token is not valid: account deactivated.', code: 'SIGN_IN_REQUIRED' };
      if (claims.role !== 'admin') return { ok: false, status: 403, detail: 'Only platform admins can open the queue dashboard.', code: 'ADMIN_REQUIRED' };
      return { ok: true, exp: claims.exp };
    } catch (err) {
      if (err instanceof InvalidTokenError) return { ok: false, status: 401, detail: `The access token is not valid: ${err.message}.`, code: 'SIGN_IN_REQUIRED' };
      opts.logger.warn({ err: (err as Error).message }, 'queue dashboard: cannot verify tokens');
      return { ok: false, status: 503, detail: 'Authentication is temporarily unavailable; try again shortly.', code: 'AUTH_UNAVAILABLE' };
    }
  };

  await fastify.register(async (scope) => {
    // Form bodies (the sign-in form) are parsed by Nest's Fastify adapter already.
    scope.addHook('onRequest', async (req, reply) => {
      void reply.header('content-security-policy', CSP).header('cache-control', 'no-store').header('referrer-policy', 'no-referrer').header('x-content-type-options', 'nosniff');
      const path = req.url.split('?')[0];
      if (path === `${QUEUE_DASHBOARD_PATH}/session` || path === `${QUEUE_DASHBOARD_PATH}/logout`) return;
      const who = await admin(readCookie(req.headers.cookie, DASHBOARD_COOKIE));
      if (!who.ok) return refuse(req, reply, who.status, who.detail, who.code);
    });

    scope.post('/session', async (req, reply) => {
      const form = req.body && typeof req.body === 'object' ? (req.body as Record<string, unknown>) : {};
      const token = bearerToken(req.headers.authorization) ?? (typeof form.token === 'string' ? bearerToken(`Bearer ${form.token.trim()}`) : null);
      const who = await admin(token);
      if (!who.ok) return refuse(req, reply, who.status, who.detail, who.code);
      const maxAge = Math.max(0, Math.min(MAX_SESSION_SECONDS, who.exp - Math.floor(Date.now() / 1000)));
      const cookie = [`${DASHBOARD_COOKIE}=${token}`, `Path=${QUEUE_DASHBOARD_PATH}`, `Max-Age=${maxAge}`, 'HttpOnly', 'SameSite=Strict', ...(isHttps(req) ? ['Secure'] : [])];
      return reply.status(303).header('set-cookie', cookie.join('; ')).header('location', `${QUEUE_DASHBOARD_PATH}/`).send();
    });

    scope.post('/logout', async (_req, reply) =>
      reply.status(303).header('set-cookie', `${DASHBOARD_COOKIE}=; Path=${QUEUE_DASHBOARD_PATH}; Max-Age=0; HttpOnly; SameSite=Strict`).header('location', `${QUEUE_DASHBOARD_PATH}/`).send());

    await scope.register(serverAdapter.registerPlugin());
  }, { prefix: QUEUE_DASHBOARD_PATH });

  return {
    close: async () => {
      await Promise.all(queues.map((q) => q.close().catch(() => undefined)));
      connection.disconnect();
    },
  };
}
