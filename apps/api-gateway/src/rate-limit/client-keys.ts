import { createHash } from 'node:crypto';
import { isIPv6 } from 'node:net';
import { asciiEmailDomain } from '@tally/service-kit';

/**
 * The key of a client address. IPv4 as is; IPv4-mapped IPv6 as IPv4; other IPv6 by its /64,
 * the block one subscriber usually holds (keying whole addresses would let one client rotate
 * through 2^64 of them).
 */
export function clientIpKey(ip: string | undefined): string {
  if (!ip) return 'ip:unknown';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return `ip:${mapped[1]}`;
  if (!isIPv6(ip)) return `ip:${ip}`;
  return `ip6:${expandIPv6(ip).slice(0, 4).join(':')}::/64`;
}

function expandIPv6(ip: string): string[] {
  const addr = ip.split('%')[0].toLowerCase();
  const [head, tail] = addr.includes('::') ? addr.split('::') : [addr, undefined];
  const parts = (s: string) => (s ? s.split(':') : []);
  const h = parts(head);
  const t = tail === undefined ? [] : parts(tail);
  // an embedded IPv4 tail (::1.2.3.4) counts as two groups
  const fix = (xs: string[]) => xs.flatMap((x) => (x.includes('.') ? ['0', '0'] : [x]));
  const hh = fix(h);
  const tt = fix(t);
  const fill = tail === undefined ? [] : Array(Math.max(0, 8 - hh.length - tt.length)).fill('0');
  return [...hh, ...fill, ...tt].map((g) => (parseInt(g, 16) || 0).toString(16));
}

/**
 * JSON text as the services read it. Their Fastify parses JSON with secure-json-parse, which skips
 * one leading U+FEFF (a UTF-8 byte-order mark) before JSON.parse; the gateway must skip it too, or
 * a BOM hides the account from the per-account limits while the service still reads the login.
 */
export function parseJsonLikeServices(text: string): unknown {
  return JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
}

/**
 * The account a login/recovery body names: `login`, `email` or `username`, NFKC, trimmed, an
 * internationalized email domain in its ASCII form (as auth-service reads it), lower-cased.
 */
export function accountFromBody(body: unknown, contentType: string | undefined): string | undefined {
  if (!Buffer.isBuffer(body) || body.length === 0) return undefined;
  const type = (contentType ?? '').split(';')[0].trim().toLowerCase();
  let fields: Record<string, unknown> | undefined;
  try {
    if (type === 'application/x-www-form-urlencoded') {
      const params = new URLSearchParams(body.toString('utf8'));
      fields = Object.fromEntries(['login', 'email', 'username'].map((k) => [k, params.get(k) ?? undefined]));
    } else if (type === 'application/json' || type.endsWith('+json') || type === '') {
      const parsed: unknown = parseJsonLikeServices(body.toString('utf8'));
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) fields = parsed as Record<string, unknown>;
    }
  } catch {
    return undefined; // not parseable: the service refuses it; the IP quota still applies
  }
  if (!fields) return undefined;
  for (const name of ['login', 'email', 'username']) {
    const v = fields[name];
    if (typeof v === 'string') {
      const normalized = asciiEmailDomain(v.normalize('NFKC').trim()).toLowerCase();
      if (normalized) return normalized.slice(0, 320);
    }
  }
  return undefined;
}

/** The key of an account: hashed, so no address or user name is stored in Redis. */
export function accountKey(account: string): string {
  return `acct:${createHash('sha256').update(account).digest('base64url').slice(0, 32)}`;
}

export function userKey(sub: string): string {
  return `user:${sub}`;
}
