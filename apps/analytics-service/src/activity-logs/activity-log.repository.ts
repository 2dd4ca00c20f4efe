import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { ActivityLog } from './activity-log.entity';

/** A row to write, as the event consumer derives it from an envelope. */
export interface NewActivityLog {
  id: string;
  userId: string | null;
  action: string;
  contentType: string | null;
  objectId: string | null;
  objectRepr: string | null;
  changes: Record<string, unknown>;
  ipAddress: string | null;
  userAgent: string | null;
  /** ISO-8601 event time. */
  createdAt: string;
}

/** The only code that touches `activity_logs`; every method takes the EntityManager first. */
@Injectable()
export class ActivityLogRepository {
  /** The user's own entries, newest first. */
  async findForUser(em: EntityManager, userId: string, limit: number, offset: number): Promise<[ActivityLog[], number]> {
    const qb = em.createQueryBuilder(ActivityLog, 'al')
      .where({ userId })
      .orderBy({ createdAt: 'desc', id: 'desc' })
      .limit(limit)
      .offset(offset);
    return qb.getResultAndCount();
  }

  /**
   * Writes one audit row with the consumer's transactional EntityManager, so it commits together with the inbox
   * record and the other projections of the same event. Keyed by event id: writing the same event twice is a no-op.
   */
  async insert(em: EntityManager, row: NewActivityLog): Promise<void> {
    await em.getConnection().execute(
      `INSERT INTO activity_logs (id, user_id, action, content_type, object_id, object_repr, changes, ip_address, user_agent, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?::jsonb, ?::inet, ?, ?, now())
       ON CONFLICT (id) DO NOTHING`,
      [row.id, row.userId, row.action, row.contentType, row.objectId, row.objectRepr, JSON.stringify(row.changes), row.ipAddress, row.userAgent, row.createdAt],
      'run',
      em.getTransactionContext(),
    );
  }
}
