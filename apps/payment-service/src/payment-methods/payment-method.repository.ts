import { Injectable } from '@nestjs/common';
import { MikroORM } from '@mikro-orm/postgresql';
import { PaymentMethod } from './payment-method.entity';

@Injectable()
export class PaymentMethodRepository {
  constructor(private readonly orm: MikroORM) {}

  /** The user's active payment methods, the default one first, then newest first. */
  async findForUser(userId: string, limit: number, offset: number): Promise<[PaymentMethod[], number]> {
    const qb = this.orm.em.fork().createQueryBuilder(PaymentMethod, 'pm')
      .where({ userId, isActive: true })
      .orderBy({ isDefault: 'desc', createdAt: 'desc', id: 'asc' })
      .limit(limit)
      .offset(offset);
    return qb.getResultAndCount();
  }
}
