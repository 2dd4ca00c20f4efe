import { Entity, PrimaryKey, Property } from '@mikro-orm/core';
import type { JsonWebKey } from 'node:crypto';
import type { SigningKeyStatus } from '@tally/security';

/** An ES256 key pair that signs access tokens; its life: pending → active → retired, or revoked at any point (see SigningKeyStatus). */
@Entity({ tableName: 'signing_keys' })
export class SigningKey {
  @PrimaryKey({ type: 'string', length: 100 }) kid!: string;
  @Property({ type: 'string', length: 10 }) alg: 'ES256' = 'ES256';
  @Property({ type: 'json' }) publicJwk!: JsonWebKey;
  /** Sealed with SECRETS_KEY when it is set (AuthSecrets). */
  @Property({ type: 'json', hidden: true }) privateJwk!: JsonWebKey | { sealed: string };
  @Property({ type: 'string', length: 20 }) status: SigningKeyStatus = 'pending';
  @Property({ type: 'datetime' }) createdAt: Date = new Date();
  @Property({ type: 'datetime', nullable: true }) activatedAt?: Date | null;
  @Property({ type: 'datetime', nullable: true }) retiredAt?: Date | null;
  @Property({ type: 'datetime', nullable: true }) revokedAt?: Date | null;
  /**
   * The longest access-token lifetime (seconds) any replica signs or signed with this key: published
   * with it, so a retired key verifies that long (plus skew) everywhere. Null: retired before it was kept.
   */
  @Property({ type: 'integer', nullable: true }) tokenLifetimeSeconds?: number | null;
}
