import { Injectable } from '@nestjs/common';
import { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { EmailVerification, User } from './user.entity';

@Injectable()
export class UserRepository {
  constructor(private readonly orm: MikroORM) {}

  transaction<T>(fn: (em: EntityManager) => Promise<T>): Promise<T> {
    return this.orm.em.fork().transactional(fn);
  }

  async existsByEmailOrUsername(email: string, username: string, em: EntityManager): Promise<{ email: boolean; username: boolean }> {
    const rows = await em.getConnection().execute<{ email: boolean; username: boolean }[]>(
      `SELECT bool_or(lower(email) = lower(?)) AS email, bool_or(lower(username) = lower(?)) AS username
         FROM users WHERE lower(email) = lower(?) OR lower(username) = lower(?)`,
      [email, username, email, username],
      'all',
      em.getTransactionContext(),
    );
    return { email: !!rows[0]?.email, username: !!rows[0]?.username };
  }

  findById(id: string, em: EntityManager = this.orm.em.fork()): Promise<User | null> {
    return em.findOne(User, { id });
  }

  /** By email or username, case-insensitively, with the password hash loaded. */
  async findForLogin(login: string): Promise<User | null> {
    const em = this.orm.em.fork();
    const [row] = await em.getConnection().execute<{ id: string }[]>(
      `SELECT id FROM users WHERE lower(email) = lower(?) OR lower(username) = lower(?) LIMIT 1`,
      [login, login],
    );
    if (!row) return null;
    return em.findOne(User, { id: row.id }, { populate: ['password'] });
  }

  /** Case-insensitively, through the unique index on lower(email). */
  async findByEmail(email: string, em: EntityManager = this.orm.em.fork()): Promise<User | null> {
    const [row] = await em.getConnection().execute<{ id: string }[]>(
      'SELECT id FROM users WHERE lower(email) = lower(?)', [email], 'all', em.getTransactionContext(),
    );
    return row ? em.findOne(User, { id: row.id }) : null;
  }

  findByIdWithPassword(id: string): Promise<User | null> {
    return this.orm.em.fork().findOne(User, { id }, { populate: ['password'] });
  }

  /** New hash; a password change also lifts any lockout. */
  async updatePassword(em: EntityManager, userId: string, hash: string): Promise<void> {
    await em.getConnection().execute(
      `UPDATE users SET password = ?, failed_login_attempts = 0, account_locked_until = NULL, updated_at = now() WHERE id = ?`,
      [hash, userId],
      'run',
      em.getTransactionContext(),
    );
  }

  /** Locks the verification row for this token hash, if unused. */
  findVerificationForUpdate(tokenHash: string, em: EntityManager): Promise<EmailVerification | null> {
    return em.findOne(EmailVerification, { token: tokenHash }, { lockMode: 4 /* PESSIMISTIC_WRITE */ });
  }
}
