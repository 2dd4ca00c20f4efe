import { ValidateBy, ValidationOptions, buildMessage } from 'class-validator';

/** One quota: at most `limit` requests per `windowMs`, spread by GCRA (a burst of `limit`, then one per windowMs/limit). */
export interface RatePolicy {
  /** Stable name: part of the Redis key and of the RateLimit-Policy header. */
  name: string;
  limit: number;
  windowMs: number;
}

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;
const POLICY_FORMAT = /^(\d{1,7})\/(\d{1,6})(ms|s|m|h)$/;
export const MIN_WINDOW_MS = 100;
export const MAX_WINDOW_MS = 24 * 3_600_000;

/** Parses `<limit>/<window>` such as `10/1m`, `5/15m`, `300/60s`, `3/500ms`. Throws on anything else. */
export function parsePolicy(name: string, spec: string): RatePolicy {
  const m = POLICY_FORMAT.exec(spec.trim());
  if (!m) throw new Error(`${name}: "${spec}" is not <limit>/<window> such as 10/1m`);
  const limit = Number(m[1]);
  const windowMs = Number(m[2]) * UNIT_MS[m[3] as keyof typeof UNIT_MS];
  if (limit < 1) throw new Error(`${name}: the limit must be at least 1`);
  if (windowMs < MIN_WINDOW_MS || windowMs > MAX_WINDOW_MS) throw new Error(`${name}: the window must be between 100ms and 24h`);
  return { name, limit, windowMs };
}

/** Config validator for a policy string. */
export function IsRatePolicy(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isRatePolicy',
      validator: {
        validate: (value: unknown) => {
          if (typeof value !== 'string') return false;
          try {
            parsePolicy('x', value);
            return true;
          } catch {
            return false;
          }
        },
        defaultMessage: buildMessage((each) => `${each}$property must be <limit>/<window> (window 100ms..24h), e.g. 10/1m or 5/15m`, options),
      },
    },
    options,
  );
}

/** The policy groups the gateway applies, and the config setting of each. */
export const POLICY_SETTINGS = {
  loginIp: 'RATE_LIMIT_LOGIN_IP',
  loginAccount: 'RATE_LIMIT_LOGIN_ACCOUNT',
  registerIp: 'RATE_LIMIT_REGISTER_IP',
  recoveryIp: 'RATE_LIMIT_RECOVERY_IP',
  recoveryAccount: 'RATE_LIMIT_RECOVERY_ACCOUNT',
  user: 'RATE_LIMIT_USER',
  anonymousIp: 'RATE_LIMIT_ANONYMOUS_IP',
} as const;

export type PolicyId = keyof typeof POLICY_SETTINGS;

/** Production defaults. */
export const DEFAULT_POLICIES: Record<PolicyId, string> = {
  loginIp: '10/1m',
  loginAccount: '5/1m',
  registerIp: '5/10m',
  recoveryIp: '5/15m',
  recoveryAccount: '3/15m',
  user: '300/1m',
  anonymousIp: '120/1m',
};

/** Names in keys and headers. */
const POLICY_NAMES: Record<PolicyId, string> = {
  loginIp: 'login-ip',
  loginAccount: 'login-account',
  registerIp: 'register-ip',
  recoveryIp: 'recovery-ip',
  recoveryAccount: 'recovery-account',
  user: 'user',
  anonymousIp: 'anonymous-ip',
};

export type RatePolicies = Record<PolicyId, RatePolicy>;

export function resolvePolicies(settings: Partial<Record<(typeof POLICY_SETTINGS)[PolicyId], string | undefined>>): RatePolicies {
  const policies = {} as RatePolicies;
  for (const id of Object.keys(POLICY_SETTINGS) as PolicyId[]) {
    policies[id] = parsePolicy(POLICY_NAMES[id], settings[POLICY_SETTINGS[id]] ?? DEFAULT_POLICIES[id]);
  }
  return policies;
}
