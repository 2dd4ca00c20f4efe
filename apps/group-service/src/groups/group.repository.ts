import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { Group } from './group.entity';

const MEMBER_OF = `FROM groups g
  WHERE g.is_active AND g.id IN (SELECT m.group_id FROM group_memberships m WHERE m.user_id = ? AND m.is_active)`;

@Injectable()
export class GroupRepository {
  /**
   * Active groups the user is an active member of, newest first, and how many there are: one query
   * (the count is a window over the same rows), a second only for a page past the end. This is the
   * authenticated hot path's read (tools/bench/hot-path.ts): one round trip, no query builder.
   */
  async findForMember(em: EntityManager, userId: string, limit: number, offset: number): Promise<[Group[], number]> {
    const rows = await em
      .getConnection()
      .execute<(Record<string, unknown> & { total_count: string })[]>(
        `SELECT g.*, count(*) OVER () AS total_count ${MEMBER_OF} ORDER BY g.created_at DESC, g.id ASC LIMIT ? OFFSET ?`,
        [userId, limit, offset],
      );
    if (!rows.length) return [[], offset > 0 ? await this.countForMember(em, userId) : 0];
    // a row count (how many groups match), not money
    const groupCount = Number(rows[0].total_count);
    return [rows.map(({ total_count: _, ...row }) => em.map(Group, row)), groupCount];
  }

  async countForMember(em: EntityManager, userId: string): Promise<number> {
    const [row] = await em.getConnection().execute<{ n: string }[]>(`SELECT count(*) AS n ${MEMBER_OF}`, [userId]);
    return Number(row.n);
  }
}
