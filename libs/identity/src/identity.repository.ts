import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { EventData } from '@tally/contracts';
import type { PublicJwk, SigningKeyRecord } from '@tally/security';

export const IDENTITY_OPTIONS = Symbol('IDENTITY_OPTIONS');

/** What other services read of a projected user. `email` is null where the service keeps none. */
export interface ProjectedUserCard {
  id: string;
  username: string;
  firstName: string | null;
  lastName: string | null;
  email: string | null;
  emailVerified: boolean;
  isActive: boolean;
  /** IANA name, e.g. Europe/Lisbon; null if not known. */
  timezone: string | null;
}

export interface IdentityProjectionOptions {
  /** Only services that send mail keep addresses (data minimisation). */
  keepEmail?: boolean;
}

/**
 * The only code that writes the `users` and `signing_keys` projections. Every write carries the event's
 * time and applies only when it is not older than what the row already reflects, so a replayed or
 * reordered older event never rolls the projection back.
 */
@Injectable()
export class IdentityProjectionRepository {
  constructor(@Inject(IDENTITY_OPTIONS) private readonly opts: IdentityProjectionOptions) {}

  private run(em: EntityManager, sql: string, params: unknown[]): Promise<unknown> {
    return em.getConnection().execute(sql, params, 'run', em.getTransactionContext());
  }

  async upsertRegistered(em: EntityManager, d: EventData<'user.registered'>, at: string): Promise<void> {
    await this.run(
      em,
      `INSERT INTO users (id, username, first_name, last_name, email, preferred_currency, timezone, date_joined, last_event_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET username = EXCLUDED.username, first_name = EXCLUDED.first_name,
         last_name = EXCLUDED.last_name, email = EXCLUDED.email, last_event_at = EXCLUDED.last_event_at, updated_at = now()
       WHERE users.last_event_at IS NULL OR users.last_event_at <= EXCLUDED.last_event_at`,
      [d.userId, d.username, d.firstName, d.lastName, this.opts.keepEmail ? d.email : null, d.preferredCurrency, d.timezone, d.dateJoined, at],
    );
  }

  async markEmailVerified(em: EntityManager, d: EventData<'user.email_verified'>, at: string): Promise<void> {
    await this.run(
      em,
      `UPDATE users SET email_verified = TRUE, email = CASE WHEN ? THEN ? ELSE email END, last_event_at = ?, updated_at = now()
       WHERE id = ? AND (last_event_at IS NULL OR last_event_at <= ?)`,
      [!!this.opts.keepEmail, d.email, at, d.userId, at],
    );
  }

  async updateProfile(em: EntityManager, d: EventData<'user.profile_updated'>, at: string): Promise<void> {
    await this.run(
      em,
      `UPDATE users SET username = ?, first_name = ?, last_name = ?, preferred_currency = ?, timezone = ?, last_event_at = ?, updated_at = now()
       WHERE id = ? AND (last_event_at IS NULL OR last_event_at <= ?)`,
      [d.username, d.firstName, d.lastName, d.preferredCurrency, d.timezone, at, d.userId, at],
    );
  }

  async setActive(em: EntityManager, userId: string, active: boolean, at: string): Promise<void> {
    await this.run(
      em,
      `UPDATE users SET is_active = ?, last_event_at = ?, updated_at = now() WHERE id = ? AND (last_event_at IS NULL OR last_event_at <= ?)`,
      [active, at, userId, at],
    );
  }

  async upsertSigningKey(em: EntityManager, d: EventData<'signing_key.published'>, at: string): Promise<void> {
    await this.run(
      em,
      `INSERT INTO signing_keys (kid, alg, public_jwk, status, created_at, last_event_at, token_lifetime_seconds) VALUES (?, ?, ?::jsonb, ?, ?, ?, ?)
       ON CONFLICT (kid) DO UPDATE SET status = EXCLUDED.status, last_event_at = EXCLUDED.last_event_at, received_at = now(),
         -- the longest lifetime ever published for the key: its tokens may live that long (GREATEST skips NULL)
         token_lifetime_seconds = GREATEST(signing_keys.token_lifetime_seconds, EXCLUDED.token_lifetime_seconds)
       WHERE (signing_keys.last_event_at IS NULL OR signing_keys.last_event_at <= EXCLUDED.last_event_at)
         -- a revocation is final, whatever arrives after it
         AND signing_keys.status <> 'revoked'`,
      // Only the public members: a tolerant reader must never store what a newer publisher might add.
      [d.kid, d.alg, JSON.stringify({ kty: d.publicJwk.kty, crv: d.publicJwk.crv, x: d.publicJwk.x, y: d.publicJwk.y }), d.status, d.createdAt, at, d.tokenLifetimeSeconds ?? null],
    );
  }

  /**
   * A key as last announced. A retired key's retirement time is the time of the event that retired it
   * (the row's `last_event_at`: auth publishes a key's retirement once, in the transaction that retires it);
   * it verifies for the token lifetime auth published with the key (`tokenLifetimeSeconds`).
   */
  async findKey(em: EntityManager, kid: string): Promise<SigningKeyRecord | null> {
    const rows = await em
      .getConnection()
      .execute<{ public_jwk: PublicJwk; status: string; changed_at: Date | string | null; token_lifetime_seconds: number | null }[]>(
        `SELECT public_jwk, status, COALESCE(last_event_at, received_at) AS changed_at, token_lifetime_seconds FROM signing_keys WHERE kid = ?`,
        [kid],
      );
    const row = rows[0];
    if (!row) return null;
    return {
      kid, publicJwk: row.public_jwk, status: row.status, retiredAt: row.status === 'retired' && row.changed_at ? new Date(row.changed_at) : null,
      tokenLifetimeSeconds: row.token_lifetime_seconds,
    };
  }

  /** Users by id, as last announced (missing ids are simply absent). */
  async findUsers(em: EntityManager, ids: readonly string[]): Promise<Map<string, ProjectedUserCard>> {
    if (!ids.length) return new Map();
    const rows = await em.getConnection().execute<{ id: string; username: string; first_name: string | null; last_name: string | null; email: string | null; email_verified: boolean; is_active: boolean; timezone: string | null }[]>(
      `SELECT id, username, first_name, last_name, email, email_verified, is_active, timezone FROM users WHERE id IN (?)`,
      [[...new Set(ids)]], 'all', em.getTransactionContext(),
    );
    return new Map(rows.map((r) => [r.id, {
      id: r.id, username: r.username, firstName: r.first_name, lastName: r.last_name, email: r.email, emailVerified: r.email_verified, isActive: r.is_active,
      timezone: r.timezone,
    }]));
  }

  async isActive(em: EntityManager, userId: string): Promise<boolean | undefined> {
    const rows = await em.getConnection().execute<{ is_active: boolean }[]>(`SELECT is_active FROM users WHERE id = ?`, [userId]);
    return rows[0]?.is_active;
  }
}
