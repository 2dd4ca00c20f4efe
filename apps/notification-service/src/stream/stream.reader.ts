import { Injectable } from '@nestjs/common';
import { EntityManager, FilterQuery } from '@mikro-orm/postgresql';
import type { TimeIdCursor } from '@tally/service-kit';
import { Notification } from '../notifications/notification.entity';
import { IN_INBOX } from '../notifications/notification.repository';

/**
 * The stream's reads of `notifications` (read-only; NotificationRepository stays the table's only
 * writer, and owns the inbox condition, IN_INBOX). Everything is in (created_at, id) order, the order of the inbox's cursors.
 */
@Injectable()
export class NotificationStreamReader {
  /** The user's newest notification's position, or undefined when they have none. */
  async newest(em: EntityManager, userId: string): Promise<TimeIdCursor | undefined> {
    const n = await em.findOne(Notification, { userId }, { orderBy: { createdAt: 'desc', id: 'desc' }, fields: ['id', 'createdAt'] });
    return n ? { at: n.createdAt, id: n.id } : undefined;
  }

  /** Ids (with their times) of the user's notifications created after `from`, up to and including `upTo`. */
  async idsBetween(em: EntityManager, userId: string, from: Date, upTo: TimeIdCursor): Promise<{ id: string; at: Date }[]> {
    const rows = await em.find(
      Notification,
      { userId, createdAt: { $gt: from }, $or: [{ createdAt: { $lt: upTo.at } }, { createdAt: upTo.at, id: { $lte: upTo.id } }] },
      { fields: ['id', 'createdAt'], orderBy: { createdAt: 'asc', id: 'asc' } },
    );
    return rows.map((n) => ({ id: n.id, at: n.createdAt }));
  }

  /**
   * The user's inbox notifications created after `from` (all of them when undefined), oldest first,
   * leaving out `exclude` (the ones a stream already sent); `limit` at most.
   */
  async after(em: EntityManager, userId: string, from: Date | undefined, exclude: readonly string[], limit: number): Promise<Notification[]> {
    const where: FilterQuery<Notification> = { userId };
    if (from) where.createdAt = { $gt: from };
    if (exclude.length) where.id = { $nin: [...exclude] };
    return em.createQueryBuilder(Notification, 'n').select('*').where(where).andWhere(IN_INBOX).orderBy({ createdAt: 'asc', id: 'asc' }).limit(limit).getResultList();
  }
}
