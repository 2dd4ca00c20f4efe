/**
 * Where web push may go (an SSRF guard): a browser's PushSubscription names an endpoint URL and our
 * worker POSTs to it, so a user who registers `https://10.0.0.5/admin` as their "push service" would
 * make the worker call into our network. Only the browsers' push services are allowed by default.
 *
 * A list (`PUSH_ENDPOINT_HOSTS`, comma-separated) of entries:
 * - `fcm.googleapis.com`: that host, https, any port;
 * - `*.push.services.mozilla.com`: any subdomain of it (not the name itself), https;
 * - `host:port`: that host on that port only;
 * - `http://127.0.0.1` (or `http://host:port`): that host over plain http as well; only by explicit
 *   configuration (a local push endpoint in development and tests);
 * - `default`: the browsers' push services below (so `default,http://127.0.0.1` adds a local one).
 */
export const DEFAULT_PUSH_ENDPOINT_HOSTS: readonly string[] = [
  'fcm.googleapis.com', // Chrome, Edge (Chromium), Opera, Samsung Internet
  '*.push.services.mozilla.com', // Firefox
  'updates.push.services.mozilla.com',
  '*.notify.windows.com', // Edge (legacy, WNS)
  'web.push.apple.com', // Safari
  '*.push.apple.com',
];

export interface PushEndpointRule {
  /** Lower-case host name (IPv6 in brackets), or the parent domain of a wildcard. */
  host: string;
  wildcard: boolean;
  /** Only this port; null: any. */
  port: string | null;
  /** Plain http allowed too (only when configured so). */
  http: boolean;
}

export type PushEndpointAllowlist = readonly PushEndpointRule[];

const HOST = /^(\*\.)?([a-z0-9-]+(\.[a-z0-9-]+)*|\[[0-9a-f:.]+\])(:(\d{1,5}))?$/;

/** Reads the setting (undefined or blank: the defaults); throws on an entry it cannot read, so a typo stops the start. */
export function parsePushEndpointHosts(setting: string | undefined): PushEndpointAllowlist {
  const entries = (setting ?? '').split(',').map((e) => e.trim().toLowerCase()).filter(Boolean);
  const list = entries.length ? entries : ['default'];
  const rules: PushEndpointRule[] = [];
  for (const entry of list) {
    if (entry === 'default') {
      rules.push(...parsePushEndpointHosts(DEFAULT_PUSH_ENDPOINT_HOSTS.join(',')));
      continue;
    }
    let text = entry;
    let http = false;
    if (text.startsWith('http://')) { http = true; text = text.slice(7); } else if (text.startsWith('https://')) text = text.slice(8);
    text = text.replace(/\/+$/, '');
    const m = HOST.exec(text);
    if (!m) throw new Error(`PUSH_ENDPOINT_HOSTS: cannot read "${entry}" (a host, *.domain, host:port or http://host)`);
    rules.push({ host: m[2], wildcard: Boolean(m[1]), port: m[5] ?? null, http });
  }
  return rules;
}

/** Why a push endpoint may not be used, or null when it may: https (or an http rule), no credentials, a host on the list. */
export function pushEndpointProblem(endpoint: string, allow: PushEndpointAllowlist): string | null {
  let url: URL;
  try { url = new URL(endpoint); } catch { return 'endpoint must be a URL'; }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'endpoint must be an https URL';
  if (url.username || url.password) return 'endpoint must not hold credentials';
  const host = url.hostname.toLowerCase().replace(/\.$/, '');
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  const rules = allow.filter((r) => (r.wildcard ? host.endsWith(`.${r.host}`) : host === r.host) && (r.port === null || r.port === port));
  if (!rules.length) return `endpoint host ${host} is not a push service this deployment allows (PUSH_ENDPOINT_HOSTS)`;
  if (url.protocol === 'http:' && !rules.some((r) => r.http)) return 'endpoint must be an https URL';
  return null;
}
