import type { MikroORM } from '@mikro-orm/postgresql';
import { freshEm } from '@tally/persistence';
import { RETIRED_KEY_SKEW_MS, StoredKeySource } from '@tally/security';
import { SigningKeyRepository } from './signing-key.repository';

/**
 * auth verifies access tokens (for its own routes) from its own `signing_keys` table, with the same
 * rules as every service's projection: pending and active keys verify, retired ones for the key's own
 * token lifetime (its `token_lifetime_seconds`; this replica's ACCESS_TOKEN_TTL_SECONDS for keys retired
 * before it was kept) after retirement, revoked ones never. SigningKeyService forgets a key here when it revokes it.
 */
export class OwnSigningKeySource extends StoredKeySource {
  constructor(orm: MikroORM, config: { ACCESS_TOKEN_TTL_SECONDS: number }) {
    const repo = new SigningKeyRepository();
    super((kid) => repo.findRecord(freshEm(orm), kid), { retiredGraceMs: config.ACCESS_TOKEN_TTL_SECONDS * 1000 + RETIRED_KEY_SKEW_MS });
  }
}
