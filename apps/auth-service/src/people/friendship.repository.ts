import { Injectable } from '@nestjs/common';
import { LockMode } from '@mikro-orm/core';
import { EntityManager } from '@mikro-orm/postgresql';
import { FriendshipStatus, UserFriendship } from './friendship.entity';

export interface FriendshipListQuery {
  status?: FriendshipStatus;
  direction?: 'incoming' | 'outgoing';
  limit: number;
  offset: number;
}

/** A friendship row with the other party's card. */
export interface FriendshipRow {
  id: string;
  fromUserId: string;
  toUserId: string;
  status: FriendshipStatus;
  message: string | null;
  createdAt: Date;
  updatedAt: Date;
  other: { id: string; username: string; firstName: string | null };
}

interface RawRow {
  id: string;
  from_user_id: string;
  to_user_id: string;
  status: FriendshipStatus;
  message: string | null;
  created_at: Date;
  updated_at: Date;
  other_id: string;
  other_username: string;
  other_first_name: string | null;
}

@Injectable()
export class FriendshipRepository {
  /** The row between two users, whichever of them sent the request (there is at most one). */
  findBetween(em: EntityManager, a: string, b: string, lock = false): Promise<UserFriendship | null> {
    return em.findOne(
      UserFriendship,
      { $or: [{ fromUserId: a, toUserId: b }, { fromUserId: b, toUserId: a }] },
      lock ? { lockMode: LockMode.PESSIMISTIC_WRITE } : {},
    );
  }

  findById(em: EntityManager, id: string, lock = false): Promise<UserFriendship | null> {
    return em.findOne(UserFriendship, { id }, lock ? { lockMode: LockMode.PESSIMISTIC_WRITE } : {});
  }

  async insert(em: EntityManager, f: UserFriendship): Promise<void> {
    await em.persist(f).flush();
  }

  async save(em: EntityManager): Promise<void> {
    await em.flush();
  }

  async delete(em: EntityManager, f: UserFriendship): Promise<void> {
    await em.remove(f).flush();
  }

  /**
   * The user's friendships, most recently changed first, with the other party's card. Blocks
   * someone else made against the user are left out (a block is never revealed), as are rows whose
   * other party is deactivated.
   */
  async listForUser(em: EntityManager, userId: string, q: FriendshipListQuery): Promise<[FriendshipRow[], number]> {
    const where = [
      '(f.from_user_id = ? OR f.to_user_id = ?)',
      `(f.status <> 'blocked' OR f.blocked_by_id = ?)`,
      'u.is_active',
    ];
    const params: unknown[] = [userId, userId, userId];
    if (q.status) {
      where.push('f.status = ?');
      params.push(q.status);
    }
    if (q.direction) {
      where.push(q.direction === 'incoming' ? 'f.to_user_id = ?' : 'f.from_user_id = ?');
      params.push(userId);
    }
    const from = `FROM user_friendships f
      JOIN users u ON u.id = CASE WHEN f.from_user_id = ? THEN f.to_user_id ELSE f.from_user_id END
      WHERE ${where.join(' AND ')}`;
    const conn = em.getConnection();
    const trx = em.getTransactionContext();
    const [{ total }] = await conn.execute<{ total: number }[]>(`SELECT count(*)::int AS total ${from}`, [userId, ...params], 'all', trx);
    const rows = await conn.execute<RawRow[]>(
      `SELECT f.id, f.from_user_id, f.to_user_id, f.status, f.message, f.created_at, f.updated_at,
              u.id AS other_id, u.username AS other_username, u.first_name AS other_first_name
         ${from}
        ORDER BY f.updated_at DESC, f.id
        LIMIT ? OFFSET ?`,
      [userId, ...params, q.limit, q.offset],
      'all',
      trx,
    );
    return [
      rows.map((r) => ({
        id: r.id, fromUserId: r.from_user_id, toUserId: r.to_user_id, status: r.status, message: r.message,
        createdAt: new Date(r.created_at), updatedAt: new Date(r.updated_at),
        other: { id: r.other_id, username: r.other_username, firstName: r.other_first_name },
      })),
      total,
    ];
  }
}
