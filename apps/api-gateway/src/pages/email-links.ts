import formbody from '@fastify/formbody';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { currentContext } from '@tally/observability';
import { GatewayConfig } from '../config/gateway.config';
import { RatePolicies } from '../rate-limit/policies';
import { RateLimiter } from '../rate-limit/rate-limiter';
import { escapeHtml, p, pageRateLimited, sendPage as send } from './page';

/**
 * The pages the links in Tally's emails open, until a web client exists: `/verify-email?token=…` and
 * `/reset-password?token=…`. Plain HTML forms, no script. Opening a link changes nothing (mail scanners
 * and link previews open links too); the person confirms with a button, which posts the token back here,
 * and the gateway calls auth-service's API and says what happened and what to do next.
 *
 * The token stays out of logs (the gateway logs paths, never query strings or these bodies) and out of
 * referrers (`Referrer-Policy: no-referrer`, and the pages load nothing from anywhere); the pages are
 * never cached and cannot be framed.
 */
export interface EmailLinkDeps {
  config: GatewayConfig;
  logger: Logger;
  limiter?: RateLimiter;
  policies: RatePolicies;
}

export const VERIFY_EMAIL_PAGE = '/verify-email';
export const RESET_PASSWORD_PAGE = '/reset-password';

const TOKEN = /^[A-Za-z0-9_-]{20,100}$/;

const BAD_LINK = (what: string) =>
  p(`This ${what} link is not valid. Copy the whole link from the email into your browser's address bar, or ask for a new email from the app.`);

type Outcome = { ok: true } | { ok: false; status: number; code?: string; detail?: string; errors?: { field: string; message: string }[] };

export function installEmailLinkPages(fastify: FastifyInstance, deps: EmailLinkDeps): void {
  const { config, logger } = deps;

  /** Calls auth-service's public API as a client would (same validation, same rules). */
  async function callAuth(path: string, body: Record<string, string>, req: FastifyRequest): Promise<Outcome> {
    try {
      const res = await fetch(`${config.AUTH_SERVICE_URL.replace(/\/+$/, '')}${path}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-forwarded-for': req.ip,
          'x-request-id': currentContext()?.correlationId ?? '',
          ...(typeof req.headers['user-agent'] === 'string' ? { 'user-agent': req.headers['user-agent'] } : {}),
        },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(config.UPSTREAM_TIMEOUT_MS),
      });
      if (res.ok) return { ok: true };
      const problem = (await res.json().catch(() => ({}))) as { code?: string; detail?: string; errors?: { field: string; message: string }[] };
      return { ok: false, status: res.status, code: problem.code, detail: problem.detail, errors: Array.isArray(problem.errors) ? problem.errors : undefined };
    } catch (err) {
      logger.warn({ err: (err as Error).message, path }, 'email link page: auth-service unreachable');
      return { ok: false, status: 503 };
    }
  }

  /** The same per-address quota as the API's recovery routes; a refusal is a page, not JSON. */
  const limited = (req: FastifyRequest, reply: FastifyReply, policy: keyof RatePolicies) => pageRateLimited(deps, req, reply, policy);

  const tokenOf = (value: unknown): string | undefined => (typeof value === 'string' && TOKEN.test(value) ? value : undefined);
  const upstreamTrouble = (o: Outcome) => !o.ok && (o.status >= 500 || o.status === 429);

  void fastify.register(async (scope) => {
    await scope.register(formbody, { bodyLimit: 4096 });

    scope.get(VERIFY_EMAIL_PAGE, async (req, reply) => {
      if (await limited(req, reply, 'anonymousIp')) return reply;
      const token = tokenOf((req.query as Record<string, unknown>).token);
      if (!token) return send(reply, 400, 'Verify your email', BAD_LINK('verification'));
      return send(
        reply,
        200,
        'Verify your email',
        `${p('Confirm that this is your email address to finish creating your Tally account.')}
<form method="post" action="${VERIFY_EMAIL_PAGE}">
<input type="hidden" name="token" value="${escapeHtml(token)}">
<button type="submit">Verify my email</button>
</form>`,
      );
    });

    scope.post(VERIFY_EMAIL_PAGE, async (req, reply) => {
      if (await limited(req, reply, 'recoveryIp')) return reply;
      const token = tokenOf((req.body as Record<string, unknown> | undefined)?.token);
      if (!token) return send(reply, 400, 'Verify your email', BAD_LINK('verification'));
      const outcome = await callAuth('/api/v1/auth/verify-email', { token }, req);
      if (outcome.ok) return send(reply, 200, 'Your email is verified', p('Thank you. You can now log in to Tally with your username or email and your password.'));
      if (upstreamTrouble(outcome)) return send(reply, 503, 'Please try again', p('We could not verify your email just now. Nothing was changed: open the link again in a few minutes.'));
      return send(
        reply,
        400,
        'This link no longer works',
        p('The verification link has expired or was already used. If you have not verified your email yet, log in to the app and ask for a new verification email.'),
      );
    });

    scope.get(RESET_PASSWORD_PAGE, async (req, reply) => {
      if (await limited(req, reply, 'anonymousIp')) return reply;
      const token = tokenOf((req.query as Record<string, unknown>).token);
      if (!token) return send(reply, 400, 'Choose a new password', BAD_LINK('password reset'));
      return send(reply, 200, 'Choose a new password', resetForm(token));
    });

    scope.post(RESET_PASSWORD_PAGE, async (req, reply) => {
      if (await limited(req, reply, 'recoveryIp')) return reply;
      const body = (req.body ?? {}) as Record<string, unknown>;
      const token = tokenOf(body.token);
      if (!token) return send(reply, 400, 'Choose a new password', BAD_LINK('password reset'));
      const password = typeof body.password === 'string' ? body.password : '';
      if (password !== body.confirm) return send(reply, 400, 'Choose a new password', resetForm(token, 'The two passwords are not the same. Type the new password twice.'));
      const outcome = await callAuth('/api/v1/auth/password/reset', { token, newPassword: password }, req);
      if (outcome.ok) return send(reply, 200, 'Your password is changed', p('Log in to Tally with your new password. For your safety you were logged out everywhere else.'));
      if (upstreamTrouble(outcome)) return send(reply, 503, 'Please try again', p('We could not change your password just now. Nothing was changed: try again in a few minutes.'));
      // The password itself was refused (too short, too common, …): say why, keep the form.
      if (outcome.status === 400 && !RESET_LINK_DEAD.has(outcome.code ?? '') && !outcome.errors?.some((e) => e.field === 'token')) {
        return send(reply, 400, 'Choose a new password', resetForm(token, passwordProblem(outcome)));
      }
      return send(reply, 400, 'This link no longer works', p('The password reset link has expired or was already used. Ask for a new one from the app ("Forgot your password?").'));
    });
  });
}

/** auth-service's codes for a reset link that can no longer be used. */
const RESET_LINK_DEAD = new Set(['RESET_TOKEN_INVALID', 'RESET_TOKEN_EXPIRED']);

function passwordProblem(o: Outcome): string {
  if (o.ok) return '';
  if (o.code === 'PASSWORD_TOO_COMMON' || o.code === 'PASSWORD_LIKE_ACCOUNT') return o.detail ?? 'Choose another password.';
  const field = o.errors?.find((e) => e.field === 'newPassword');
  if (field) return field.message.replace(/^newPassword/, 'The password');
  return 'This password cannot be used. Choose another one.';
}

function resetForm(token: string, error?: string): string {
  return `${error ? `<p role="alert"><strong>${escapeHtml(error)}</strong></p>` : ''}
<form method="post" action="${RESET_PASSWORD_PAGE}">
<input type="hidden" name="token" value="${escapeHtml(token)}">
<label for="password">New password</label>
<input id="password" name="password" type="password" autocomplete="new-password" minlength="8" maxlength="128" required>
<label for="confirm">The same password again</label>
<input id="confirm" name="confirm" type="password" autocomplete="new-password" minlength="8" maxlength="128" required>
<button type="submit">Change my password</button>
</form>
<p class="note">At least 8 characters. A long phrase you can remember is best; very common passwords are refused.</p>`;
}
