import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { PasswordReset, RefreshToken } from './account.entities';

export interface FailureOutcome {
  failedAttempts: number;
  lockedUntil: Date | null;
  /** True when this failure is the one that locked it. */
  justLocked: boolean;
}

/** Refresh tokens, password resets, and the failure counters behind the lockout. */
@Injectable()
export class AccountRepository {
  private exec<T>(em: EntityManager, sql: string, params: unknown[]): Promise<T> {
    return em.getConnection().execute(sql, params, 'all', em.getTransactionContext()) as Promise<T>;
  }

  // ---- lockout -------------------------------------------------------------------------

  /**
   * Counts a failed login for an existing user; locks at `threshold`. A lock that has run out
   * starts a fresh count. Atomic, so concurrent guesses cannot slip past the threshold.
   */
  async recordUserFailure(em: EntityManager, userId: string, threshold: number, lockSeconds: number): Promise<FailureOutcome> {
    const [row] = await this.exec<{ failed_login_attempts: number; account_locked_until: Date | string | null; just_locked: boolean }[]>(
      em,
      `UPDATE users u SET
         failed_login_attempts = n.attempts,
         account_locked_until = CASE WHEN n.attempts >= ? THEN now() + (? * interval '1 second') ELSE NULL END,
         updated_at = now()
       FROM (SELECT id, CASE WHEN account_locked_until IS NOT NULL AND account_locked_until <= now() THEN 1
                             ELSE failed_login_attempts + 1 END AS attempts
               FROM users WHERE id = ? FOR UPDATE) n
       WHERE u.id = n.id
       RETURNING u.failed_login_attempts, u.account_locked_until, (n.attempts = ?) AS just_locked`,
      [threshold, lockSeconds, userId, threshold],
    );
    const until = row.account_locked_until;
    return { failedAttempts: row.failed_login_attempts, lockedUntil: until ? new Date(until) : null, justLocked: row.just_locked };
  }

  /** The same counting for a login that matches no account (keyed by the hash of the login). */
  async recordUnknownFailure(em: EntityManager, loginHash: string, threshold: number, lockSeconds: number): Promise<void> {
    await this.exec(
      em,
      `INSERT INTO login_throttles AS t (login_hash, failed_attempts, locked_until, updated_at)
       VALUES (?, 1, CASE WHEN 1 >= ? THEN now() + (? * interval '1 second') END, now())
       ON CONFLICT (login_hash) DO UPDATE SET
         failed_attempts = CASE WHEN t.locked_until IS NOT NULL AND t.locked_until <= now() THEN 1 ELSE t.failed_attempts + 1 END,
         locked_until = CASE WHEN (CASE WHEN t.locked_until IS NOT NULL AND t.locked_until <= now() THEN 1 ELSE t.failed_attempts + 1 END) >= ?
                             THEN now() + (? * interval '1 second') ELSE NULL END,
         updated_at = now()`,
      [loginHash, threshold, lockSeconds, threshold, lockSeconds],
    );
  }

  async unknownLoginLocked(em: EntityManager, loginHash: string): Promise<boolean> {
    const rows = await this.exec<unknown[]>(em, `SELECT 1 FROM login_throttles WHERE login_hash = ? AND locked_until > now()`, [loginHash]);
    return rows.length > 0;
  }

  /** Forgets old counters of unknown logins (called now and then). */
  async pruneThrottles(em: EntityManager, olderThanSeconds: number): Promise<void> {
    await this.exec(em, `DELETE FROM login_throttles WHERE updated_at < now() - (? * interval '1 second')`, [olderThanSeconds]);
  }

  async recordSuccess(em: EntityManager, userId: string, ip: string | null): Promise<void> {
    await this.exec(
      em,
      `UPDATE users SET failed_login_attempts = 0, account_locked_until = NULL, last_login = now(), last_login_ip = ?::inet, updated_at = now() WHERE id = ?`,
      [ip, userId],
    );
  }

  // ---- refresh tokens ------------------------------------------------------------------

  insertRefreshToken(em: EntityManager, token: RefreshToken): Promise<void> {
    em.persist(token);
    return em.flush();
  }

  /** Locks the token row so two refreshes with the same token cannot both succeed. */
  findRefreshForUpdate(em: EntityManager, tokenHash: string): Promise<RefreshToken | null> {
    return em.findOne(RefreshToken, { tokenHash }, { lockMode: 4 /* PESSIMISTIC_WRITE */ });
  }

  revokeFamily(em: EntityManager, familyId: string, reason: string): Promise<number> {
    return this.revokeWhere(em, 'family_id', familyId, reason);
  }

  revokeAllForUser(em: EntityManager, userId: string, reason: string): Promise<number> {
    return this.revokeWhere(em, 'user_id', userId, reason);
  }

  private async revokeWhere(em: EntityManager, column: 'family_id' | 'user_id', id: string, reason: string): Promise<number> {
    const rows = await this.exec<unknown[]>(
      em,
      `UPDATE refresh_tokens SET revoked_at = now(), revoked_reason = ? WHERE ${column} = ? AND revoked_at IS NULL RETURNING id`,
      [reason, id],
    );
    return rows.length;
  }

  // ---- password resets -----------------------------------------------------------------

  async replacePasswordReset(em: EntityManager, reset: PasswordReset): Promise<void> {
    await this.exec(em, `UPDATE password_resets SET used_at = now() WHERE user_id = ? AND used_at IS NULL`, [reset.userId]);
    em.persist(reset);
    await em.flush();
  }

  findResetForUpdate(em: EntityManager, tokenHash: string): Promise<PasswordReset | null> {
    return em.findOne(PasswordReset, { tokenHash }, { lockMode: 4 });
  }

  async invalidateResets(em: EntityManager, userId: string): Promise<void> {
    await this.exec(em, `UPDATE password_resets SET used_at = now() WHERE user_id = ? AND used_at IS NULL`, [userId]);
  }

  async invalidateVerifications(em: EntityManager, userId: string): Promise<void> {
    await this.exec(em, `UPDATE email_verifications SET is_used = TRUE, updated_at = now() WHERE user_id = ? AND is_used = FALSE`, [userId]);
  }
}
