import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { AccessTokenClaims } from '@tally/contracts';

interface Verified {
  claims: AccessTokenClaims;
  kid: string;
  /** Expiry plus the clock tolerance, epoch ms: not an answer after it. */
  validUntil: number;
}

export interface VerifiedTokenCacheOptions {
  /** Most tokens remembered; the least recently used go first. */
  max?: number;
}

/**
 * Access tokens already verified (signature, claims), so a token used for many requests is checked
 * once per process, not on every request (an ES256 verification costs far more than the rest of a
 * cached read). Keyed by the SHA-256 of the whole token; an entry answers until the token expires.
 * The verifier still asks its key source for the entry's key on every hit (a map lookup), so a key
 * that is revoked or expires stops its tokens at once; `dropKid` forgets them eagerly.
 * Deactivated accounts are not this cache's business: the guard asks UserStatusSource every time.
 */
export class VerifiedTokenCache {
  private readonly lru: LRUCache<string, Verified>;

  constructor(opts: VerifiedTokenCacheOptions = {}) {
    this.lru = new LRUCache({ max: opts.max ?? 10_000 });
  }

  static keyOf(token: string): string {
    return createHash('sha256').update(token).digest('base64url');
  }

  get(key: string, now = Date.now()): Verified | undefined {
    const hit = this.lru.get(key);
    if (!hit) return undefined;
    if (hit.validUntil <= now) {
      this.lru.delete(key);
      return undefined;
    }
    return hit;
  }

  set(key: string, entry: Verified): void {
    this.lru.set(key, entry);
  }

  delete(key: string): void {
    this.lru.delete(key);
  }

  /** Forgets every token a key verified (it was revoked, expired or left the key set). */
  dropKid(kid: string): void {
    const doomed: string[] = [];
    for (const [key, entry] of this.lru.entries()) if (entry.kid === kid) doomed.push(key);
    for (const key of doomed) this.lru.delete(key);
  }

  get size(): number {
    return this.lru.size;
  }
}
