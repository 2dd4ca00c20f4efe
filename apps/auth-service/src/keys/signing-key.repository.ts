import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import type { SigningKeyRecord } from '@tally/security';
import { SigningKey } from './signing-key.entity';

/** Arbitrary, fixed: serializes key minting across replicas. */
const MINTING_LOCK_KEY = 74219002;

@Injectable()
export class SigningKeyRepository {
  /** Holds, until the transaction ends, the lock that keeps replicas from each minting or activating a key. */
  async lockMinting(em: EntityManager): Promise<void> {
    await em.getConnection().execute(`SELECT pg_advisory_xact_lock(${MINTING_LOCK_KEY})`, [], 'run', em.getTransactionContext());
  }

  findActive(em: EntityManager): Promise<SigningKey | null> {
    return em.findOne(SigningKey, { status: 'active' });
  }

  findPending(em: EntityManager): Promise<SigningKey | null> {
    return em.findOne(SigningKey, { status: 'pending' });
  }

  findByKid(em: EntityManager, kid: string): Promise<SigningKey | null> {
    return em.findOne(SigningKey, { kid });
  }

  /**
   * Keys that may verify now: pending, active, and retired less than their token lifetime plus
   * `skewMs` ago (`defaultLifetimeSeconds` for a key that has none); never revoked ones.
   */
  async findVerifiable(em: EntityManager, defaultLifetimeSeconds: number, skewMs: number): Promise<SigningKey[]> {
    const rows = await em.getConnection().execute<{ kid: string }[]>(
      `SELECT kid FROM signing_keys
        WHERE status IN ('pending', 'active')
           OR (status = 'retired' AND retired_at > now() - (COALESCE(token_lifetime_seconds, ?) * interval '1 second' + ? * interval '1 millisecond'))`,
      [defaultLifetimeSeconds, skewMs],
    );
    if (!rows.length) return [];
    return em.find(SigningKey, { kid: { $in: rows.map((r) => r.kid) } }, { orderBy: { createdAt: 'desc' } });
  }

  /** One key's public part and state, as auth's own verifier needs it. */
  async findRecord(em: EntityManager, kid: string): Promise<SigningKeyRecord | null> {
    const rows = await em
      .getConnection()
      .execute<{ public_jwk: SigningKeyRecord['publicJwk']; status: string; retired_at: Date | null; token_lifetime_seconds: number | null }[]>(
        'SELECT public_jwk, status, retired_at, token_lifetime_seconds FROM signing_keys WHERE kid = ?',
        [kid],
      );
    const row = rows[0];
    return row
      ? { kid, publicJwk: row.public_jwk, status: row.status, retiredAt: row.retired_at ? new Date(row.retired_at) : null, tokenLifetimeSeconds: row.token_lifetime_seconds }
      : null;
  }

  /**
   * Whether a pending key's first announcement left the outbox at least `delaySeconds` ago (by the
   * database's clock, the one `sent_at` was written with). Unsent rows are never pruned, so an
   * announcement no longer in the outbox went out long ago.
   */
  async announcedLongEnough(em: EntityManager, kid: string, delaySeconds: number): Promise<boolean> {
    const rows = await em.getConnection().execute<{ sent: boolean; due: boolean }[]>(
      `SELECT sent_at IS NOT NULL AS sent, sent_at IS NOT NULL AND sent_at <= clock_timestamp() - make_interval(secs => ?) AS due
         FROM outbox WHERE key = ? AND type = 'signing_key.published' AND payload->'data'->>'status' = 'pending'
        ORDER BY seq LIMIT 1`,
      [delaySeconds, kid],
      'all',
      em.getTransactionContext(),
    );
    return rows.length === 0 || rows[0].due;
  }

  async insert(em: EntityManager, key: SigningKey): Promise<void> {
    await em.persist(key).flush();
  }

  async flush(em: EntityManager): Promise<void> {
    await em.flush();
  }
}
