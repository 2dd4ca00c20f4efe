import type { JWK } from 'jose';
import type { MikroORM } from '@mikro-orm/postgresql';
import { EventConsumer } from '@tally/messaging';
import { PublicKeySource, UserStatusSource } from '@tally/security';

/**
 * Local projections of auth-service's data that every other service keeps (ARCHITECTURE.md:
 * services never call each other): its users, and the public keys that sign access tokens.
 */
export const IDENTITY_PROJECTION_SQL = [
  `CREATE TABLE IF NOT EXISTS users (
    id UUID PRIMARY KEY,
    username VARCHAR(150) NOT NULL,
    first_name VARCHAR(150),
    last_name VARCHAR(150),
    email VARCHAR(254),
    email_verified BOOLEAN NOT NULL DEFAULT FALSE,
    is_active BOOLEAN NOT NULL DEFAULT TRUE,
    preferred_currency VARCHAR(3),
    timezone VARCHAR(50),
    date_joined TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
  )`,
  `CREATE TABLE IF NOT EXISTS signing_keys (
    kid VARCHAR(100) PRIMARY KEY,
    alg VARCHAR(10) NOT NULL,
    public_jwk JSONB NOT NULL,
    status VARCHAR(20) NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    received_at TIMESTAMPTZ NOT NULL DEFAULT now()
  )`,
];

export interface IdentityProjectionOptions {
  /** Only services that send mail keep addresses (data minimisation). */
  keepEmail?: boolean;
}

export function registerIdentityProjections(consumer: EventConsumer, opts: IdentityProjectionOptions = {}): void {
  consumer.on('user.registered', async (event, { em }) => {
    const d = event.data;
    await em.getConnection().execute(
      `INSERT INTO users (id, username, first_name, last_name, email, preferred_currency, timezone, date_joined)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET username = EXCLUDED.username, first_name = EXCLUDED.first_name,
         last_name = EXCLUDED.last_name, email = EXCLUDED.email, updated_at = now()`,
      [d.userId, d.username, d.firstName, d.lastName, opts.keepEmail ? d.email : null, d.preferredCurrency, d.timezone, d.dateJoined],
      'run',
      em.getTransactionContext(),
    );
  });
  consumer.on('user.email_verified', async (event, { em }) => {
    await em.getConnection().execute(
      `UPDATE users SET email_verified = TRUE, email = CASE WHEN ? THEN ? ELSE email END, updated_at = now() WHERE id = ?`,
      [!!opts.keepEmail, event.data.email, event.data.userId],
      'run',
      em.getTransactionContext(),
    );
  });
  consumer.on('user.profile_updated', async (event, { em }) => {
    const d = event.data;
    await em.getConnection().execute(
      `UPDATE users SET username = ?, first_name = ?, last_name = ?, preferred_currency = ?, timezone = ?, updated_at = now() WHERE id = ?`,
      [d.username, d.firstName, d.lastName, d.preferredCurrency, d.timezone, d.userId],
      'run',
      em.getTransactionContext(),
    );
  });
  for (const [type, active] of [['user.deactivated', false], ['user.reactivated', true]] as const) {
    consumer.on(type, async (event, { em }) => {
      await em.getConnection().execute(
        `UPDATE users SET is_active = ?, updated_at = now() WHERE id = ?`,
        [active, event.data.userId],
        'run',
        em.getTransactionContext(),
      );
    });
  }
  consumer.on('signing_key.published', async (event, { em }) => {
    const d = event.data;
    await em.getConnection().execute(
      `INSERT INTO signing_keys (kid, alg, public_jwk, status, created_at) VALUES (?, ?, ?::jsonb, ?, ?)
       ON CONFLICT (kid) DO UPDATE SET status = EXCLUDED.status, received_at = now()`,
      [d.kid, d.alg, JSON.stringify(d.publicJwk), d.status, d.createdAt],
      'run',
      em.getTransactionContext(),
    );
  });
}

/** Public keys from the local `signing_keys` projection. */
export class ProjectedKeySource implements PublicKeySource {
  constructor(private readonly orm: MikroORM) {}

  async getKey(kid: string): Promise<JWK | null> {
    const rows = await this.orm.em.getConnection().execute<{ public_jwk: JWK }[]>(
      `SELECT public_jwk FROM signing_keys WHERE kid = ? AND status IN ('active', 'retired')`,
      [kid],
    );
    return rows[0]?.public_jwk ?? null;
  }
}

/**
 * Active flag from the local `users` table (the projection in most services, the source in auth),
 * cached a few seconds. A user the projection has not seen yet counts as active: their token is
 * genuine, and refusing it would only punish the lag.
 */
export class ProjectedUserStatus extends UserStatusSource {
  private readonly cache = new Map<string, { active: boolean; at: number }>();

  constructor(private readonly orm: MikroORM, private readonly ttlMs = 5000) {
    super();
  }

  async isActive(userId: string): Promise<boolean> {
    const hit = this.cache.get(userId);
    if (hit && Date.now() - hit.at < this.ttlMs) return hit.active;
    const rows = await this.orm.em.getConnection().execute<{ is_active: boolean }[]>(`SELECT is_active FROM users WHERE id = ?`, [userId]);
    const active = rows[0]?.is_active ?? true;
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(userId, { active, at: Date.now() });
    return active;
  }
}
