import { Injectable } from '@nestjs/common';
import { MikroORM } from '@mikro-orm/postgresql';
import { Account } from './account.entity';

@Injectable()
export class AccountRepository {
  constructor(private readonly orm: MikroORM) {}

  /** The user's accounts that are not deleted (hidden ones included), in the user's display order. */
  async findForUser(userId: string, limit: number, offset: number): Promise<[Account[], number]> {
    const qb = this.orm.em.fork().createQueryBuilder(Account, 'a')
      .where({ userId, deletedAt: null })
      .orderBy({ displayOrder: 'asc', name: 'asc', id: 'asc' })
      .limit(limit)
      .offset(offset);
    return qb.getResultAndCount();
  }
}
