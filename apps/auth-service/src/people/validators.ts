import { ValidateBy, ValidationOptions, buildMessage } from 'class-validator';

// ---- time zones --------------------------------------------------------------------------------

/** IANA names only (Area/Location, or single names such as UTC): offsets like `+01:00` are refused. */
const TZ_SHAPE = /^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+){0,2}$/;

/**
 * A time zone name the runtime's IANA database knows. `Intl.supportedValuesOf('timeZone')` lists only
 * canonical names (no `UTC`, no links such as `Asia/Kolkata` on some ICU versions), so the test is
 * whether `Intl.DateTimeFormat` accepts the name.
 */
export function isTimeZone(value: unknown): value is string {
  if (typeof value !== 'string' || value.length > 50 || !TZ_SHAPE.test(value)) return false;
  try {
    new Intl.DateTimeFormat('en', { timeZone: value });
    return true;
  } catch {
    return false;
  }
}

export function IsTimeZone(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    { name: 'isTimeZone', validator: { validate: isTimeZone, defaultMessage: buildMessage((p) => `${p}$property must be an IANA time zone name such as Europe/Berlin`, options) } },
    options,
  );
}

// ---- currencies --------------------------------------------------------------------------------

let currencies: Set<string> | undefined;

/** An active ISO 4217 code, as the runtime's ICU data knows them (three upper-case letters). */
export function isCurrencyCode(value: unknown): value is string {
  currencies ??= new Set(Intl.supportedValuesOf('currency'));
  return typeof value === 'string' && /^[A-Z]{3}$/.test(value) && currencies.has(value);
}

export function IsCurrencyCode(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    { name: 'isCurrencyCode', validator: { validate: isCurrencyCode, defaultMessage: buildMessage((p) => `${p}$property must be an ISO 4217 currency code such as USD`, options) } },
    options,
  );
}

// ---- dates -------------------------------------------------------------------------------------

/** A real calendar date `YYYY-MM-DD`, from 1900-01-01 up to and including yesterday (UTC). */
export function isPastDate(value: unknown, now: Date = new Date()): value is string {
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(value)) return false;
  const d = new Date(`${value}T00:00:00.000Z`);
  if (Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== value) return false; // 2023-02-30
  return value >= '1900-01-01' && value < now.toISOString().slice(0, 10);
}

export function IsPastDate(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    { name: 'isPastDate', validator: { validate: (v) => isPastDate(v), defaultMessage: buildMessage((p) => `${p}$property must be a past date YYYY-MM-DD (not before 1900-01-01)`, options) } },
    options,
  );
}

// ---- social links ------------------------------------------------------------------------------

/** Networks a profile may link to, with the hosts their links must be on (null: any host, e.g. Mastodon instances). */
export const SOCIAL_NETWORKS: Readonly<Record<string, readonly string[] | null>> = {
  x: ['x.com', 'twitter.com'],
  twitter: ['twitter.com', 'x.com'],
  facebook: ['facebook.com', 'fb.com'],
  instagram: ['instagram.com'],
  linkedin: ['linkedin.com'],
  github: ['github.com'],
  gitlab: ['gitlab.com'],
  youtube: ['youtube.com', 'youtu.be'],
  tiktok: ['tiktok.com'],
  threads: ['threads.net', 'threads.com'],
  bluesky: ['bsky.app'],
  reddit: ['reddit.com'],
  telegram: ['t.me', 'telegram.me'],
  mastodon: null,
};

export const SOCIAL_LINK_MAX_LENGTH = 200;

/** Why `value` is not a valid social links map, or null when it is. */
export function socialLinksProblem(value: unknown): string | null {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return 'must be an object of network → https URL';
  for (const [network, url] of Object.entries(value as Record<string, unknown>)) {
    if (!Object.prototype.hasOwnProperty.call(SOCIAL_NETWORKS, network)) {
      return `has an unknown network "${network.slice(0, 30)}" (known: ${Object.keys(SOCIAL_NETWORKS).join(', ')})`;
    }
    if (typeof url !== 'string' || url.length > SOCIAL_LINK_MAX_LENGTH) return `.${network} must be a URL of at most ${SOCIAL_LINK_MAX_LENGTH} characters`;
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return `.${network} must be a URL`;
    }
    if (parsed.protocol !== 'https:') return `.${network} must be an https URL`;
    if (parsed.username || parsed.password) return `.${network} must not contain credentials`;
    const hosts = SOCIAL_NETWORKS[network];
    const host = parsed.hostname.toLowerCase();
    if (hosts && !hosts.some((h) => host === h || host.endsWith(`.${h}`))) return `.${network} must be a link on ${hosts.join(' or ')}`;
    if (!hosts && !/^[a-z0-9-]+(\.[a-z0-9-]+)+$/.test(host)) return `.${network} must be a link on a public host name`;
  }
  return null;
}

export function IsSocialLinks(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isSocialLinks',
      validator: {
        validate: (v) => socialLinksProblem(v) === null,
        defaultMessage: (args) => `${args?.property ?? 'socialLinks'} ${socialLinksProblem(args?.value) ?? 'is not valid'}`,
      },
    },
    options,
  );
}

// ---- bounded JSON objects ----------------------------------------------------------------------

export interface JsonObjectBounds {
  maxBytes: number;
  maxDepth: number;
  maxKeyLength: number;
}

export const NOTIFICATION_PREFERENCES_BOUNDS: JsonObjectBounds = { maxBytes: 4096, maxDepth: 3, maxKeyLength: 64 };

/** Why `value` is not a JSON object within `bounds`, or null when it is. */
export function jsonObjectProblem(value: unknown, bounds: JsonObjectBounds): string | null {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return 'must be a JSON object';
  const walk = (v: unknown, depth: number): string | null => {
    if (v === null || typeof v === 'string' || typeof v === 'boolean') return null;
    if (typeof v === 'number') return Number.isFinite(v) ? null : 'must contain only finite numbers';
    if (typeof v !== 'object') return 'must contain only JSON values';
    if (depth > bounds.maxDepth) return `must not nest deeper than ${bounds.maxDepth} levels`;
    const entries = Array.isArray(v) ? v.map((x) => ['', x] as const) : Object.entries(v as Record<string, unknown>);
    for (const [k, x] of entries) {
      if (k.length > bounds.maxKeyLength) return `must not have keys longer than ${bounds.maxKeyLength} characters`;
      const p = walk(x, depth + 1);
      if (p) return p;
    }
    return null;
  };
  const p = walk(value, 1);
  if (p) return p;
  if (Buffer.byteLength(JSON.stringify(value), 'utf8') > bounds.maxBytes) return `must be at most ${bounds.maxBytes} bytes as JSON`;
  return null;
}

export function IsBoundedJsonObject(bounds: JsonObjectBounds, options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isBoundedJsonObject',
      validator: {
        validate: (v) => jsonObjectProblem(v, bounds) === null,
        defaultMessage: (args) => `${args?.property ?? 'value'} ${jsonObjectProblem(args?.value, bounds) ?? 'is not valid'}`,
      },
    },
    options,
  );
}

// ---- transforms --------------------------------------------------------------------------------

/**
 * `+49 (30) 1234-5678` → `+493012345678`; other values unchanged (and then refused by the validators).
 * An empty string stays empty, and is refused: `null` clears the number.
 */
export const compactPhone = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.replace(/[\s().-]/g, '') : value);

/** Text is trimmed; a blank string becomes empty and is then refused (IsNotBlank): `null` clears a field, nothing else. */
export const trimText = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);
