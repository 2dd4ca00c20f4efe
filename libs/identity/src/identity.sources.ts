import type { JWK } from 'jose';
import type { MikroORM } from '@mikro-orm/postgresql';
import { freshEm } from '@tally/persistence';
import { PublicKeySource, UserStatusSource } from '@tally/security';
import { IdentityProjectionRepository } from './identity.repository';

/** Public keys from the local `signing_keys` projection. */
export class ProjectedKeySource implements PublicKeySource {
  private readonly repo = new IdentityProjectionRepository({});

  constructor(private readonly orm: MikroORM) {}

  getKey(kid: string): Promise<JWK | null> {
    return this.repo.findKey(freshEm(this.orm), kid);
  }
}

/**
 * Active flag from the local `users` table (the projection in most services, the source in auth),
 * cached a few seconds. A user the projection has not seen yet counts as active: their token is
 * genuine, and refusing it would only punish the lag.
 */
export class ProjectedUserStatus extends UserStatusSource {
  private readonly cache = new Map<string, { active: boolean; at: number }>();
  private readonly repo = new IdentityProjectionRepository({});

  constructor(private readonly orm: MikroORM, private readonly ttlMs = 5000) {
    super();
  }

  async isActive(userId: string): Promise<boolean> {
    const hit = this.cache.get(userId);
    if (hit && Date.now() - hit.at < this.ttlMs) return hit.active;
    const active = (await this.repo.isActive(freshEm(this.orm), userId)) ?? true;
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(userId, { active, at: Date.now() });
    return active;
  }
}

/** What `ServiceKitModule.forRoot` needs to verify tokens and refuse deactivated accounts, from the local tables. */
export function identitySources(orm: MikroORM): { keys: PublicKeySource; userStatus: UserStatusSource } {
  return { keys: new ProjectedKeySource(orm), userStatus: new ProjectedUserStatus(orm) };
}
