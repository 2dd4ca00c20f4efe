import { JsonWebKey, KeyObject, createPublicKey } from 'node:crypto';
import { LRUCache } from 'lru-cache';

/**
 * The life of a key that signs access tokens:
 * - `pending`: announced (JWKS, `signing_key.published`) but not signing yet, so every verifier knows it
 *   before the first token it signs arrives;
 * - `active`: signing (one at a time);
 * - `retired`: no longer signing; verifies the tokens it signed until they have all expired
 *   (access-token lifetime after retirement, plus clock skew);
 * - `revoked`: verifies nothing, at once (a compromised key).
 */
export type SigningKeyStatus = 'pending' | 'active' | 'retired' | 'revoked';

/** The public members of an EC P-256 key. */
export interface PublicJwk {
  kty: string;
  crv: string;
  x: string;
  y: string;
}

/** What a key store holds about one key. */
export interface SigningKeyRecord {
  kid: string;
  publicJwk: PublicJwk;
  /** A status this code does not know verifies nothing. */
  status: string;
  /** When it stopped signing, for `retired`. */
  retiredAt?: Date | null;
  /**
   * The longest lifetime (seconds) of a token it signed, as auth published it with the key
   * (`signing_key.published`'s `tokenLifetimeSeconds`): a retired key verifies that long after its
   * retirement plus RETIRED_KEY_SKEW_MS. Absent (a key announced by an older auth): the source's default.
   */
  tokenLifetimeSeconds?: number | null;
}

/** Signing keys cannot be had right now (their source is unreachable): not the caller's fault, so a 503, never a 401. */
export class SigningKeysUnavailableError extends Error {
  constructor(message = 'signing keys are unavailable') {
    super(message);
    this.name = 'SigningKeysUnavailableError';
  }
}

/**
 * Where the verifier gets public keys.
 * - `getKey`: the key for a `kid`, or null when there is none that may verify now (unknown, revoked,
 *   retired too long ago): the token is invalid. Throws SigningKeysUnavailableError when it cannot tell.
 * - `peekKey` (optional): the same answer without waiting, when it is already in hand (a key that may
 *   verify now); undefined when only `getKey` can tell. Lets a cached token be answered synchronously.
 * - `onKeyDropped`: told the kid of a key that stopped verifying, so caches of what it verified drop it.
 * - `invalidate`: forget what is cached about a kid (its state changed); the next use reads it again.
 */
export interface PublicKeySource {
  getKey(kid: string): Promise<KeyObject | null>;
  peekKey?(kid: string): KeyObject | undefined;
  onKeyDropped?(listener: (kid: string) => void): void;
  invalidate?(kid: string): void;
}

/** A retired key keeps verifying for the access-token lifetime after retirement plus this (clock skew, a replica's cache). */
export const RETIRED_KEY_SKEW_MS = 5 * 60_000;

/** How long after its retirement a key verifies: its published token lifetime plus the skew, else `defaultGraceMs`. */
export function retiredGraceMsOf(record: Pick<SigningKeyRecord, 'tokenLifetimeSeconds'>, defaultGraceMs: number): number {
  const lifetime = record.tokenLifetimeSeconds;
  return typeof lifetime === 'number' && Number.isFinite(lifetime) && lifetime > 0 ? lifetime * 1000 + RETIRED_KEY_SKEW_MS : defaultGraceMs;
}

/**
 * Whether a key in this state may verify at `now`. A retired key verifies for the token lifetime auth
 * published with it (plus skew); `defaultGraceMs` only when it published none.
 */
export function mayVerify(record: Pick<SigningKeyRecord, 'status' | 'retiredAt' | 'tokenLifetimeSeconds'>, now: number, defaultGraceMs: number): boolean {
  switch (record.status) {
    case 'pending':
    case 'active':
      return true;
    case 'retired':
      // A retired key whose retirement time is unknown verifies for the grace from now on: never forever.
      return !record.retiredAt || record.retiredAt.getTime() + retiredGraceMsOf(record, defaultGraceMs) > now;
    default:
      return false;
  }
}

/** A verification key from the public members of an ES256 JWK; null for anything else. */
export function publicKeyFromJwk(jwk: PublicJwk | JsonWebKey): KeyObject | null {
  if (!jwk || jwk.kty !== 'EC' || jwk.crv !== 'P-256' || typeof jwk.x !== 'string' || typeof jwk.y !== 'string') return null;
  try {
    return createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y }, format: 'jwk' });
  } catch {
    return null;
  }
}

export interface StoredKeySourceOptions {
  /** How long what was read about a kid is trusted before it is read again (how soon another replica's revocation applies). */
  refreshMs?: number;
  /**
   * How long after retirement a key verifies when its record carries no published token lifetime
   * (a default access-token lifetime plus RETIRED_KEY_SKEW_MS). A record's own `tokenLifetimeSeconds` wins.
   */
  retiredGraceMs: number;
  /** Most kids remembered (known and unknown). */
  maxKids?: number;
  onLoadError?: (err: Error, kid: string) => void;
}

interface Known {
  record: SigningKeyRecord | null;
  key: KeyObject | null;
  readAt: number;
}

/**
 * Keys read one kid at a time from a table (the services' `signing_keys` projection, or auth's own
 * table), remembered for `refreshMs` (unknown kids too, so random kids cannot turn every request into
 * a query), one read per kid at a time. A read that fails keeps what was known; with nothing known it
 * is SigningKeysUnavailableError.
 */
export class StoredKeySource implements PublicKeySource {
  private readonly known: LRUCache<string, Known>;
  private readonly loading = new Map<string, Promise<Known>>();
  private readonly listeners: ((kid: string) => void)[] = [];
  private readonly refreshMs: number;

  constructor(
    private readonly load: (kid: string) => Promise<SigningKeyRecord | null>,
    private readonly opts: StoredKeySourceOptions,
  ) {
    this.refreshMs = opts.refreshMs ?? 5000;
    this.known = new LRUCache({ max: opts.maxKids ?? 1000 });
  }

  async getKey(kid: string): Promise<KeyObject | null> {
    let entry = this.known.get(kid);
    if (!entry || Date.now() - entry.readAt >= this.refreshMs) entry = await this.read(kid, entry);
    if (!entry.key || !entry.record) return null;
    if (!mayVerify(entry.record, Date.now(), this.opts.retiredGraceMs)) {
      this.drop(kid);
      return null;
    }
    return entry.key;
  }

  onKeyDropped(listener: (kid: string) => void): void {
    this.listeners.push(listener);
  }

  invalidate(kid: string): void {
    this.known.delete(kid);
    this.emit(kid);
  }

  private drop(kid: string): void {
    const entry = this.known.get(kid);
    if (entry?.key) {
      this.known.set(kid, { record: entry.record, key: null, readAt: entry.readAt });
      this.emit(kid);
    }
  }

  private emit(kid: string): void {
    for (const l of this.listeners) l(kid);
  }

  private read(kid: string, previous: Known | undefined): Promise<Known> {
    let pending = this.loading.get(kid);
    if (!pending) {
      pending = this.load(kid)
        .then((record) => {
          const entry: Known = { record, key: record ? publicKeyFromJwk(record.publicJwk) : null, readAt: Date.now() };
          if (previous?.key && !(entry.key && mayVerify(record!, Date.now(), this.opts.retiredGraceMs))) this.emit(kid);
          this.known.set(kid, entry);
          return entry;
        })
        .catch((err: Error) => {
          this.opts.onLoadError?.(err, kid);
          // Keep verifying with what was known (for a while): the database being slow is not the token's fault.
          if (previous) {
            const retryable = { ...previous, readAt: Date.now() - this.refreshMs + Math.min(this.refreshMs, 1000) };
            this.known.set(kid, retryable);
            return retryable;
          }
          throw new SigningKeysUnavailableError();
        })
        .finally(() => this.loading.delete(kid));
      this.loading.set(kid, pending);
    }
    return pending;
  }
}
