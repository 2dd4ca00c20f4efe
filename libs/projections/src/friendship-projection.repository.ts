import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import type { EventData } from '@tally/contracts';

/**
 * The only code that touches a service's `friendships`: its projection of auth's friendships
 * (friendship.* events; what happens outside groups is between friends). The table is created by each
 * service's own migration:
 *
 *   friendships (id UUID PRIMARY KEY, user_a UUID, user_b UUID, status VARCHAR(10),
 *                last_event_at TIMESTAMPTZ, CHECK (user_a < user_b))
 *
 * The pair is stored ordered (user_a < user_b); events older than the row reflects are ignored.
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
