import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { PasswordReset, RefreshToken } from './account.entities';

/**
 * What a login attempt may do, decided atomically before any password is checked:
 * - `check`: a password check was reserved on the login's counter (and the account's, if it has one);
 * - `silent`: the login's counter had room but the account's did not (its lock or its budget is
 *   spent through another of its logins): no check, answered as a wrong password;
 * - `locked`: the login's own counter is locked or spent: 423.
 */
export type LoginAttempt = 'check' | 'silent' | 'locked';

/** One failure counter as the database holds it, read under its row lock. */
export interface FailureCounter {
  attempts: number;
  /** A lock is in force now. */
  lockedNow: boolean;
  /** The counter no longer counts: its lock ran out, or its last attempt is older than the lock duration. */
  stale: boolean;
}

/**
 * The attempt count after reserving one more password check on `c`, or null when the counter has
 * no room (locked now, or THRESHOLD attempts already counted, including ones still being checked).
 * A stale counter starts again from zero.
 */
export function nextAttempt(c: FailureCounter, threshold: number): number | null {
  if (c.lockedNow) return null;
  const base = c.stale ? 0 : c.attempts;
  return base >= threshold ? null : base + 1;
}

/**
 * Refresh tokens, password resets, and the failure counters behind the lockout.
 *
 * Two counters decide a login (docs/adr/0007): one per login string as typed (normalised, kept as
 * its SHA-256 in `login_throttles`, whether or not an account has it), which alone decides the
 * visible `423`; and one per account (`users.failed_login_attempts`), which caps the password
 * checks of an account across its username and email without ever showing itself. Every
 * transaction that touches both locks the `users` row before the `login_throttles` row.
 */
@Injectable()
export class AccountRepository {
  private exec<T>(em: EntityManager, sql: string, params: unknown[]): Promise<T> {
    return em.getConnection().execute(sql, params, 'all', em.getTransactionContext()) as Promise<T>;
  }

  // ---- lockout -------------------------------------------------------------------------

  /**
   * Reserves one password check for `loginKey` (and the account `userId`, if the login is one of
   * an account's), counting it as a failure until it is settled. Must run in a transaction: the
   * rows stay locked until it commits, so concurrent attempts on one login or one account are
   * decided one after the other and no more than `threshold` checks are ever reserved.
   */
  async reserveLoginAttempt(em: EntityManager, loginKey: string, userId: string | null, threshold: number, lockSeconds: number): Promise<LoginAttempt> {
    const account = userId
      ? (await this.exec<FailureCounter[]>(
          em,
          `SELECT failed_login_attempts AS attempts,
                  COALESCE(account_locked_until > now(), FALSE) AS "lockedNow",
                  COALESCE(account_locked_until <= now(), failed_login_at <= now() - (? * interval '1 second'), FALSE) AS stale
             FROM users WHERE id = ? FOR UPDATE`,
          [lockSeconds, userId],
        ))[0]
      : undefined;
    // Inserts the counter or locks the existing one (the no-op update takes its row lock), in one statement.
    const [login] = await this.exec<FailureCounter[]>(
      em,
      `INSERT INTO login_throttles AS t (login_hash, failed_attempts) VALUES (?, 0)
       ON CONFLICT (login_hash) DO UPDATE SET login_hash = t.login_hash
       RETURNING t.failed_attempts AS attempts,
                 COALESCE(t.locked_until > now(), FALSE) AS "lockedNow",
                 COALESCE(t.locked_until <= now(), t.updated_at <= now() - (? * interval '1 second')) AS stale`,
      [loginKey, lockSeconds],
    );
    const loginAttempts = nextAttempt(login, threshold);
    if (loginAttempts === null) return 'locked';
    await this.exec(em, `UPDATE login_throttles SET failed_attempts = ?, locked_until = NULL, updated_at = now() WHERE login_hash = ?`, [loginAttempts, loginKey]);
    if (!account) return 'check';
    const accountAttempts = nextAttempt(account, threshold);
    if (accountAttempts === null) return 'silent';
    await this.exec(em, `UPDATE users SET failed_login_attempts = ?, account_locked_until = NULL, failed_login_at = now() WHERE id = ?`, [accountAttempts, userId]);
    return 'check';
  }

  /**
   * Settles a failed attempt: a counter that has reached `threshold` is locked for `lockSeconds`
   * (once: concurrent failures find it locked). `userId` only when the attempt was counted on
   * the account. Returns the account's new lock, if this failure locked it, so the caller writes
   * `user.locked` in the same transaction.
   */
  async settleLoginFailure(em: EntityManager, loginKey: string, userId: string | null, threshold: number, lockSeconds: number): Promise<Date | null> {
    let accountLocked: Date | null = null;
    if (userId) {
      const [row] = await this.exec<{ until: Date | string }[]>(
        em,
        `UPDATE users SET account_locked_until = now() + (? * interval '1 second'), updated_at = now()
          WHERE id = ? AND failed_login_attempts >= ? AND account_locked_until IS NULL
          RETURNING account_locked_until AS until`,
        [lockSeconds, userId, threshold],
      );
      if (row) accountLocked = new Date(row.until);
    }
    await this.exec(
      em,
      `UPDATE login_throttles SET locked_until = now() + (? * interval '1 second')
        WHERE login_hash = ? AND failed_attempts >= ? AND locked_until IS NULL`,
      [lockSeconds, loginKey, threshold],
    );
    return accountLocked;
  }

  /**
   * Settles a right password: the account's and this login's counters start again. `login` is
   * set when it logs in (last login time and address). Returns whether a lock of the account was
   * in force, i.e. set meanwhile by failures that raced this check (the caller publishes
   * `user.unlocked`).
   */
  async settleLoginSuccess(em: EntityManager, loginKey: string, userId: string, login: { ip: string | null } | null): Promise<boolean> {
    const [before] = await this.exec<{ locked: boolean }[]>(
      em,
      `SELECT COALESCE(account_locked_until > now(), FALSE) AS locked FROM users WHERE id = ? FOR UPDATE`,
      [userId],
    );
    await this.exec(
      em,
      login
        ? `UPDATE users SET failed_login_attempts = 0, account_locked_until = NULL, failed_login_at = NULL,
             last_login = now(), last_login_ip = ?::inet, updated_at = now() WHERE id = ?`
        : `UPDATE users SET failed_login_attempts = 0, account_locked_until = NULL, failed_login_at = NULL WHERE id = ?`,
      login ? [login.ip, userId] : [userId],
    );
    await this.exec(em, `DELETE FROM login_throttles WHERE login_hash = ?`, [loginKey]);
    return !!before?.locked;
  }

  /** Forgets the counters of these logins (an account's username and email: after a password reset or an admin unlock). */
  async clearLoginThrottles(em: EntityManager, loginKeys: string[]): Promise<void> {
    if (!loginKeys.length) return;
    await this.exec(em, `DELETE FROM login_throttles WHERE login_hash IN (${loginKeys.map(() => '?').join(', ')})`, loginKeys);
  }

  /**
   * Deletes up to `limit` counters that no longer count (no lock in force, last attempt older than
   * `lockSeconds`), oldest first; a row another transaction holds is skipped. Deleting one changes
   * nothing: a missing counter and a stale one both start from zero. Returns how many went.
   */
  async pruneLoginThrottles(em: EntityManager, lockSeconds: number, limit: number): Promise<number> {
    const rows = await this.exec<unknown[]>(
      em,
      `DELETE FROM login_throttles WHERE login_hash = ANY(ARRAY(
         SELECT login_hash FROM login_throttles
          WHERE updated_at <= now() - (? * interval '1 second') AND (locked_until IS NULL OR locked_until <= now())
          ORDER BY updated_at LIMIT ? FOR UPDATE SKIP LOCKED))
       RETURNING 1`,
      [lockSeconds, limit],
    );
    return rows.length;
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

  /**
   * Whether `tokenId` is the immediately previous token of its family: it has children (the
   * tokens its refreshes issued) and none of them was used or revoked yet, so the family has not
   * moved on since.
   */
  async isLatestParent(em: EntityManager, tokenId: string): Promise<boolean> {
    const [row] = await this.exec<{ children: number; spent: number }[]>(
      em,
      `SELECT count(*)::int AS children, count(*) FILTER (WHERE used_at IS NOT NULL OR revoked_at IS NOT NULL)::int AS spent
         FROM refresh_tokens WHERE parent_id = ?`,
      [tokenId],
    );
    return row.children > 0 && row.spent === 0;
  }

  /**
   * Marks the unused siblings of `token` (other children of its parent, issued by a retry within
   * the grace window) as used, so the family goes on along one line: showing one of them later
   * is a replay. Rows another refresh holds are skipped (that refresh is using them).
   */
  async spendSiblings(em: EntityManager, token: Pick<RefreshToken, 'id' | 'parentId'>): Promise<void> {
    if (!token.parentId) return;
    await this.exec(
      em,
      `UPDATE refresh_tokens SET used_at = now() WHERE id = ANY(ARRAY(
         SELECT id FROM refresh_tokens WHERE parent_id = ? AND id <> ? AND used_at IS NULL AND revoked_at IS NULL FOR UPDATE SKIP LOCKED))`,
      [token.parentId, token.id],
    );
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
