import type { KeyObject } from 'node:crypto';
import { PublicKeySource, SigningKeysUnavailableError, publicKeyFromJwk } from './signing-keys';

export interface JwksKeySourceOptions {
  url: string;
  /** How old the key set may get before it is fetched again (in the background: the known keys keep answering). */
  refreshMs?: number;
  /** An unknown kid fetches the set again at most this often (a new key between two refreshes; random kids cost nothing). */
  unknownKidMinIntervalMs?: number;
  /** After a failed fetch, the next waits this long, doubling per failure up to `maxBackoffMs`. */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** One fetch's deadline. */
  timeoutMs?: number;
  logger?: { warn(obj: object, msg: string): void; info?(obj: object, msg: string): void };
}

/**
 * The signing keys of a JWKS endpoint (the gateway reads auth's `/.well-known/jwks.json`):
 * - the last good set is kept and keeps verifying whatever the endpoint does later (5xx, timeouts,
 *   garbage); a stale set is refreshed in the background, never on the request's time;
 * - one fetch at a time (single flight); after a failure the next waits with capped exponential
 *   backoff, so a failing endpoint is not hit once per request;
 * - a kid that is not in the set: fetched again (at most every `unknownKidMinIntervalMs`); if the set
 *   could be fetched and still lacks it, the token is invalid (null); if the endpoint is failing, it
 *   cannot be told, so SigningKeysUnavailableError (503, which clients retry, rather than 401, which
 *   they read as "logged out");
 * - a key that leaves the set (revoked, expired) is dropped at the next successful fetch, and the
 *   listeners are told, so the tokens it verified leave the verified-token cache.
 */
export class JwksKeySource implements PublicKeySource {
  private keys = new Map<string, KeyObject>();
  private fetchedAt = 0;
  private lastAttemptAt = 0;
  private failures = 0;
  private nextAttemptAt = 0;
  private inflight: Promise<void> | null = null;
  private readonly listeners: ((kid: string) => void)[] = [];
  private readonly refreshMs: number;
  private readonly unknownKidMinIntervalMs: number;
  private readonly initialBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly timeoutMs: number;

  constructor(private readonly opts: JwksKeySourceOptions) {
    this.refreshMs = opts.refreshMs ?? 30_000;
    this.unknownKidMinIntervalMs = opts.unknownKidMinIntervalMs ?? 5000;
    this.initialBackoffMs = opts.initialBackoffMs ?? 1000;
    this.maxBackoffMs = opts.maxBackoffMs ?? 60_000;
    this.timeoutMs = opts.timeoutMs ?? 3000;
  }

  /** Whether the last fetch worked (a kid missing from the set then means the token is invalid). */
  get healthy(): boolean {
    return this.fetchedAt > 0 && this.failures === 0;
  }

  async getKey(kid: string): Promise<KeyObject | null> {
    const known = this.peekKey(kid);
    if (known) return known;
    const now = Date.now();
    const stale = now - this.fetchedAt >= this.refreshMs;
    if (this.inflight) await this.inflight.catch(() => undefined);
    else if (now >= this.nextAttemptAt && (stale || now - this.lastAttemptAt >= this.unknownKidMinIntervalMs)) await this.refresh().catch(() => undefined);
    const found = this.keys.get(kid);
    if (found) return found;
    if (!this.healthy) throw new SigningKeysUnavailableError();
    return null;
  }

  /** The key if the set in hand has it (a due refresh starts in the background, as with getKey); else undefined: ask getKey. */
  peekKey(kid: string): KeyObject | undefined {
    const known = this.keys.get(kid);
    if (known) {
      const now = Date.now();
      if (now - this.fetchedAt >= this.refreshMs && now >= this.nextAttemptAt) void this.refresh().catch(() => undefined);
    }
    return known;
  }

  onKeyDropped(listener: (kid: string) => void): void {
    this.listeners.push(listener);
  }

  /** Fetches the set now (one fetch at a time; callers share it). */
  refresh(): Promise<void> {
    if (this.inflight) return this.inflight;
    this.lastAttemptAt = Date.now();
    this.inflight = this.fetchSet()
      .then((keys) => this.apply(keys))
      .catch((err: Error) => {
        this.failures++;
        const backoff = Math.min(this.maxBackoffMs, this.initialBackoffMs * 2 ** (this.failures - 1));
        this.nextAttemptAt = Date.now() + backoff;
        this.opts.logger?.warn(
          { err: err.message, failures: this.failures, retryInMs: backoff, keptKeys: this.keys.size },
          'cannot fetch the signing keys; keeping the last good set',
        );
        throw err;
      })
      .finally(() => {
        this.inflight = null;
      });
    return this.inflight;
  }

  private apply(next: Map<string, KeyObject>): void {
    const dropped = [...this.keys.keys()].filter((kid) => !next.has(kid));
    this.keys = next;
    this.fetchedAt = Date.now();
    if (this.failures) this.opts.logger?.info?.({ keys: next.size }, 'signing keys fetched again');
    this.failures = 0;
    this.nextAttemptAt = 0;
    for (const kid of dropped) for (const l of this.listeners) l(kid);
  }

  private async fetchSet(): Promise<Map<string, KeyObject>> {
    const res = await fetch(this.opts.url, { signal: AbortSignal.timeout(this.timeoutMs), headers: { accept: 'application/json' } });
    if (res.status !== 200) {
      await res.body?.cancel().catch(() => undefined);
      throw new Error(`JWKS answered ${res.status}`);
    }
    const doc = (await res.json().catch(() => null)) as { keys?: unknown } | null;
    if (!doc || !Array.isArray(doc.keys)) throw new Error('JWKS is not a key set');
    const keys = new Map<string, KeyObject>();
    for (const jwk of doc.keys as Record<string, unknown>[]) {
      if (!jwk || typeof jwk.kid !== 'string' || (jwk.use !== undefined && jwk.use !== 'sig') || (jwk.alg !== undefined && jwk.alg !== 'ES256')) continue;
      const key = publicKeyFromJwk(jwk as never);
      if (key) keys.set(jwk.kid, key);
    }
    return keys;
  }
}
