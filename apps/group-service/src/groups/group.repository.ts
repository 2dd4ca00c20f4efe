import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { Group } from './group.entity';

@Injectable()
export class GroupRepository {
  /** Active groups the user is an active member of, newest first. */
  async findForMember(em: EntityManager, userId: string, limit: number, offset: number): Promise<[Group[], number]> {
    const qb = em.createQueryBuilder(Group, 'g')
      .where({ isActive: true })
      .andWhere('g.id IN (SELECT m.group_id FROM group_memberships m WHERE m.user_id = ? AND m.is_active)', [userId])
      .orderBy({ createdAt: 'desc', id: 'asc' })
      .limit(limit)
      .offset(offset);
    return qb.getResultAndCount();
  }
}
