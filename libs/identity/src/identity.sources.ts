import type { MikroORM } from '@mikro-orm/postgresql';
import { freshEm } from '@tally/persistence';
import { PublicKeySource, RETIRED_KEY_SKEW_MS, StoredKeySource, UserStatusSource } from '@tally/security';
import { IdentityProjectionRepository } from './identity.repository';

export interface ProjectedKeySourceOptions {
  /**
   * Only for keys announced without a token lifetime (by an auth older than `tokenLifetimeSeconds`;
   * auth re-announces its keys at every start, with it): assume this access-token lifetime (900 by
   * default, auth's old default). Every other retired key verifies for the lifetime auth published with
   * it (plus RETIRED_KEY_SKEW_MS), then nothing, like a revoked one: auth's ACCESS_TOKEN_TTL_SECONDS is
   * never assumed here.
   */
  accessTokenTtlSeconds?: number;
  /** How long what was read about a key is trusted (how soon a revocation consumed by another replica applies here). */
  refreshMs?: number;
}

/**
 * Public keys from the local `signing_keys` projection, in every state auth announces: pending and
 * active keys verify, retired ones until their tokens have expired (the lifetime published with the key), revoked ones never. Read per kid
 * and remembered a few seconds; the identity handlers forget a key as soon as its event is applied.
 */
export class ProjectedKeySource extends StoredKeySource {
  constructor(orm: MikroORM, opts: ProjectedKeySourceOptions = {}) {
    const repo = new IdentityProjectionRepository({});
    super((kid) => repo.findKey(freshEm(orm), kid), {
      retiredGraceMs: (opts.accessTokenTtlSeconds ?? 900) * 1000 + RETIRED_KEY_SKEW_MS,
      refreshMs: opts.refreshMs ?? 5000,
    });
  }
}

/**
 * Active flag from the local `users` table (the projection in most services, the source in auth),
 * cached a few seconds. A user the projection has not seen yet counts as active: their token is
 * genuine, and refusing it would only punish the lag.
 */
export class ProjectedUserStatus extends UserStatusSource {
  private readonly cache = new Map<string, { active: boolean; at: number }>();
  /** One query per user at a time: requests arriving while it runs share it. */
  private readonly reading = new Map<string, Promise<boolean>>();
  private readonly repo = new IdentityProjectionRepository({});

  constructor(private readonly orm: MikroORM, private readonly ttlMs = 5000) {
    super();
  }

  async isActive(userId: string): Promise<boolean> {
    const hit = this.cache.get(userId);
    if (hit && Date.now() - hit.at < this.ttlMs) return hit.active;
    let pending = this.reading.get(userId);
    if (!pending) {
      pending = this.read(userId).finally(() => this.reading.delete(userId));
      this.reading.set(userId, pending);
    }
    return pending;
  }

  private async read(userId: string): Promise<boolean> {
    const active = (await this.repo.isActive(freshEm(this.orm), userId)) ?? true;
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(userId, { active, at: Date.now() });
    return active;
  }
}

/** What `ServiceKitModule.forRoot` needs to verify tokens and refuse deactivated accounts, from the local tables. */
export function identitySources(orm: MikroORM, keys: ProjectedKeySourceOptions = {}): { keys: PublicKeySource; userStatus: UserStatusSource } {
  return { keys: new ProjectedKeySource(orm, keys), userStatus: new ProjectedUserStatus(orm) };
}
