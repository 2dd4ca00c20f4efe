import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { RatePolicies } from '../rate-limit/policies';
import { RateLimiter } from '../rate-limit/rate-limiter';
import { clientIpKey } from '../rate-limit/client-keys';

/**
 * What the gateway's own HTML pages (the pages email links open) share: one small stylesheet, the
 * page frame, and the headers that keep them safe: no script, nothing loaded from anywhere, never
 * cached, never framed, no referrer, not indexed.
 */
const STYLE = `body{font:16px/1.5 system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem;color:#1d2430}
h1{font-size:1.4rem}label{display:block;margin:.8rem 0 .2rem}input{font:inherit;width:100%;padding:.4rem;box-sizing:border-box}
button{font:inherit;margin-top:1rem;padding:.5rem 1.2rem}.note{color:#555;font-size:.9rem}`;
const STYLE_HASH = createHash('sha256').update(STYLE).digest('base64');

export const PAGE_CONTENT_SECURITY_POLICY = `default-src 'none'; style-src 'sha256-${STYLE_HASH}'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`;

export const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** A paragraph of plain text. */
export const p = (text: string) => `<p>${escapeHtml(text)}</p>`;

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${escapeHtml(title)} · Tally</title>
<style>${STYLE}</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
${body}
</body>
</html>
`;
}

/** Sends a page; `body` is HTML the caller built with its values escaped. */
export function sendPage(reply: FastifyReply, status: number, title: string, body: string) {
  return reply
    .status(status)
    .header('content-type', 'text/html; charset=utf-8')
    .header('cache-control', 'no-store')
    .header('referrer-policy', 'no-referrer')
    .header('x-robots-tag', 'noindex')
    .header('content-security-policy', PAGE_CONTENT_SECURITY_POLICY)
    .send(page(title, body));
}

export interface PageLimits {
  /** Absent when RATE_LIMIT_ENABLED=false. */
  limiter?: RateLimiter;
  policies: RatePolicies;
}

/**
 * A per-address quota for a page; a refusal is a 429 page (with Retry-After), not JSON. Returns
 * whether it refused (the reply is then sent).
 */
export async function pageRateLimited(deps: PageLimits, req: FastifyRequest, reply: FastifyReply, policy: keyof RatePolicies): Promise<boolean> {
  if (!deps.limiter) return false;
  const decision = await deps.limiter.check([{ policy: deps.policies[policy], key: clientIpKey(req.ip) }], 'open');
  if (decision.allowed) return false;
  const retryMs = Math.max(0, ...decision.quotas.map((q) => q.retryMs));
  void reply.header('retry-after', String(Math.max(1, Math.ceil(retryMs / 1000))));
  await sendPage(reply, 429, 'Too many attempts', p(`Too many attempts from your network. Wait ${Math.max(1, Math.ceil(retryMs / 60000))} minute(s) and open the link again.`));
  return true;
}
