import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { TimeIdCursor } from '@tally/service-kit';
import { GroupActivity } from './activity.entity';

/** The only code that touches `group_activities`. */
@Injectable()
export class ActivityRepository {
  async insert(em: EntityManager, a: GroupActivity): Promise<void> {
    em.persist(a);
    await em.flush();
  }

  /** The group's feed, newest first (ties by id), after the cursor (idx_activity_group). */
  async list(em: EntityManager, groupId: string, after: TimeIdCursor | undefined, take: number): Promise<GroupActivity[]> {
    const params: unknown[] = [groupId];
    let cond = '';
    if (after) {
      cond = ' AND (created_at, id) < (?, ?)';
      params.push(after.at, after.id);
    }
    params.push(take);
    const rows = await em
      .getConnection()
      .execute<Record<string, unknown>[]>(`SELECT * FROM group_activities WHERE group_id = ?${cond} ORDER BY created_at DESC, id DESC LIMIT ?`, params);
    return rows.map((r) => em.map(GroupActivity, r));
  }
}
