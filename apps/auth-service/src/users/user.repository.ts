import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { EmailVerification, User } from './user.entity';

@Injectable()
export class UserRepository {
  async existsByEmailOrUsername(em: EntityManager, email: string, username: string): Promise<{ email: boolean; username: boolean }> {
    const rows = await em.getConnection().execute<{ email: boolean; username: boolean }[]>(
      `SELECT bool_or(lower(email) = lower(?)) AS email, bool_or(lower(username) = lower(?)) AS username
         FROM users WHERE lower(email) = lower(?) OR lower(username) = lower(?)`,
      [email, username, email, username],
      'all',
      em.getTransactionContext(),
    );
    return { email: !!rows[0]?.email, username: !!rows[0]?.username };
  }

  async insert(em: EntityManager, user: User): Promise<void> {
    await em.persist(user).flush();
  }

  findById(em: EntityManager, id: string): Promise<User | null> {
    return em.findOne(User, { id });
  }

  /** By email or username, case-insensitively, with the password hash loaded. */
  async findForLogin(em: EntityManager, login: string): Promise<User | null> {
    const [row] = await em.getConnection().execute<{ id: string }[]>(
      `SELECT id FROM users WHERE lower(email) = lower(?) OR lower(username) = lower(?) LIMIT 1`,
      [login, login],
      'all',
      em.getTransactionContext(),
    );
    if (!row) return null;
    return em.findOne(User, { id: row.id }, { populate: ['password'] });
  }

  /** Case-insensitively, through the unique index on lower(email). */
  async findByEmail(em: EntityManager, email: string): Promise<User | null> {
    const [row] = await em.getConnection().execute<{ id: string }[]>(
      'SELECT id FROM users WHERE lower(email) = lower(?)', [email], 'all', em.getTransactionContext(),
    );
    return row ? em.findOne(User, { id: row.id }) : null;
  }

  findByIdWithPassword(em: EntityManager, id: string): Promise<User | null> {
    return em.findOne(User, { id }, { populate: ['password'] });
  }

  /**
   * New hash; a password change (or reset) also clears the account's failure counter and lifts its
   * lock. Returns whether a lock was in force (the caller publishes `user.unlocked`).
   */
  async updatePassword(em: EntityManager, userId: string, hash: string): Promise<{ wasLocked: boolean }> {
    const rows = await em.getConnection().execute<{ was_locked: boolean }[]>(
      `UPDATE users u SET password = ?, failed_login_attempts = 0, account_locked_until = NULL, failed_login_at = NULL, updated_at = now()
         FROM (SELECT id, COALESCE(account_locked_until > now(), FALSE) AS was_locked FROM users WHERE id = ? FOR UPDATE) before
        WHERE u.id = before.id
        RETURNING before.was_locked`,
      [hash, userId],
      'all',
      em.getTransactionContext(),
    );
    return { wasLocked: !!rows[0]?.was_locked };
  }

  /**
   * Replaces an old-form hash by its current form after a right password, only if the stored hash is
   * still `from` (a password changed meanwhile is never overwritten). Returns whether it was replaced.
   */
  async upgradePasswordHash(em: EntityManager, userId: string, from: string, to: string): Promise<boolean> {
    const rows = await em.getConnection().execute<unknown[]>(
      `UPDATE users SET password = ? WHERE id = ? AND password = ? RETURNING 1`,
      [to, userId, from],
      'all',
      em.getTransactionContext(),
    );
    return rows.length > 0;
  }

  async insertVerification(em: EntityManager, verification: EmailVerification): Promise<void> {
    await em.persist(verification).flush();
  }

  /** Locks the verification row for this token hash, if unused. */
  findVerificationForUpdate(em: EntityManager, tokenHash: string): Promise<EmailVerification | null> {
    return em.findOne(EmailVerification, { token: tokenHash }, { lockMode: 4 /* PESSIMISTIC_WRITE */ });
  }

  async flush(em: EntityManager): Promise<void> {
    await em.flush();
  }
}
