import { Injectable } from '@nestjs/common';
import { EntityManager, FilterQuery, LockMode } from '@mikro-orm/postgresql';
import { User, UserRole } from '../users/user.entity';

export interface UserSearch {
  search?: string;
  role?: UserRole;
  isActive?: boolean;
  isVerified?: boolean;
  locked?: boolean;
  limit: number;
  offset: number;
}

/** `%`, `_` and `\` in a search term match themselves, not as LIKE wildcards. */
export function likeContains(term: string): string {
  return `%${term.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** The admin module's access to `users` (the table belongs to the users module; this is the admin view of it). */
@Injectable()
export class AdminUserRepository {
  findById(em: EntityManager, id: string): Promise<User | null> {
    return em.findOne(User, { id });
  }

  /** By email or username, case-insensitively, row-locked; for the create-admin command. */
  async findByLoginForUpdate(em: EntityManager, by: { email?: string; username?: string }): Promise<User | null> {
    const where: FilterQuery<User> = by.email ? { email: { $ilike: escapeLike(by.email) } } : { username: { $ilike: escapeLike(by.username ?? '') } };
    return em.findOne(User, where, { lockMode: LockMode.PESSIMISTIC_WRITE });
  }

  /**
   * The caller's and the target's rows, locked (in id order, so two admins acting on each other
   * cannot deadlock), so the decision and the change see one state.
   */
  async lockCallerAndTarget(em: EntityManager, callerId: string, targetId: string): Promise<{ caller: User | null; target: User | null }> {
    const rows = await em.find(User, { id: { $in: [...new Set([callerId, targetId])] } }, { lockMode: LockMode.PESSIMISTIC_WRITE, orderBy: { id: 'asc' } });
    return { caller: rows.find((u) => u.id === callerId) ?? null, target: rows.find((u) => u.id === targetId) ?? null };
  }

  async search(em: EntityManager, q: UserSearch): Promise<[User[], number]> {
    const and: FilterQuery<User>[] = [];
    if (q.search) {
      const pattern = likeContains(q.search);
      and.push({ $or: [{ username: { $ilike: pattern } }, { email: { $ilike: pattern } }] });
    }
    if (q.role) and.push({ role: q.role });
    if (q.isActive !== undefined) and.push({ isActive: q.isActive });
    if (q.isVerified !== undefined) and.push({ isVerified: q.isVerified });
    if (q.locked === true) and.push({ accountLockedUntil: { $gt: new Date() } });
    if (q.locked === false) and.push({ $or: [{ accountLockedUntil: null }, { accountLockedUntil: { $lte: new Date() } }] });
    return em.findAndCount(User, and.length ? { $and: and } : {}, {
      orderBy: { dateJoined: 'desc', id: 'asc' },
      limit: q.limit,
      offset: q.offset,
    });
  }

  async flush(em: EntityManager): Promise<void> {
    await em.flush();
  }

  /**
   * Revokes the user's live refresh tokens. The table belongs to the accounts work: where it does
   * not exist (yet) there is nothing to revoke, and `revoked_reason` is set only where it exists.
   */
  async revokeRefreshTokens(em: EntityManager, userId: string): Promise<number> {
    const conn = em.getConnection();
    const trx = em.getTransactionContext();
    const [shape] = await conn.execute<{ has_table: boolean; has_reason: boolean }[]>(
      `SELECT to_regclass('refresh_tokens') IS NOT NULL AS has_table,
              EXISTS (SELECT 1 FROM information_schema.columns
                       WHERE table_schema = current_schema() AND table_name = 'refresh_tokens' AND column_name = 'revoked_reason') AS has_reason`,
      [],
      'all',
      trx,
    );
    if (!shape?.has_table) return 0;
    const rows = await conn.execute<unknown[]>(
      shape.has_reason
        ? `UPDATE refresh_tokens SET revoked_at = now(), revoked_reason = 'deactivated' WHERE user_id = ? AND revoked_at IS NULL RETURNING 1`
        : 'UPDATE refresh_tokens SET revoked_at = now() WHERE user_id = ? AND revoked_at IS NULL RETURNING 1',
      [userId],
      'all',
      trx,
    );
    return rows.length;
  }
}

/** An exact, case-insensitive match through ILIKE: wildcards escaped. */
function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}
