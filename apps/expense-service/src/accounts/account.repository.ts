import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { Account } from './account.entity';

@Injectable()
export class AccountRepository {
  /** The user's accounts that are not deleted (hidden ones included), in the user's display order. */
  async findForUser(em: EntityManager, userId: string, limit: number, offset: number): Promise<[Account[], number]> {
    const qb = em.createQueryBuilder(Account, 'a')
      .where({ userId, deletedAt: null })
      .orderBy({ displayOrder: 'asc', name: 'asc', id: 'asc' })
      .limit(limit)
      .offset(offset);
    return qb.getResultAndCount();
  }
}
