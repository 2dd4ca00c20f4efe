import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import type { EventData } from '@tally/contracts';

/**
 * The only code that touches `friendships`: expense-service's projection of auth's friendships (an
 * expense outside groups is between friends). The pair is stored ordered (user_a < user_b); older
 * events than the row reflects are ignored.
 */
@Injectable()
export class FriendshipProjectionRepository {
  async apply(em: EntityManager, d: EventData<'friendship.requested'>, at: string): Promise<void> {
    const [a, b] = d.fromUserId < d.toUserId ? [d.fromUserId, d.toUserId] : [d.toUserId, d.fromUserId];
    await em.getConnection().execute(
      `INSERT INTO friendships (id, user_a, user_b, status, last_event_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET user_a = EXCLUDED.user_a, user_b = EXCLUDED.user_b, status = EXCLUDED.status, last_event_at = EXCLUDED.last_event_at
       WHERE friendships.last_event_at <= EXCLUDED.last_event_at`,
      [d.friendshipId, a, b, d.status, at], 'run', em.getTransactionContext(),
    );
  }

  /** Whether the two users are friends now (an accepted friendship). */
  async areFriends(em: EntityManager, x: string, y: string): Promise<boolean> {
    const [a, b] = x < y ? [x, y] : [y, x];
    const rows = await em.getConnection().execute(
      `SELECT 1 FROM friendships WHERE user_a = ? AND user_b = ? AND status = 'accepted' LIMIT 1`, [a, b], 'all', em.getTransactionContext(),
    );
    return rows.length > 0;
  }
}
