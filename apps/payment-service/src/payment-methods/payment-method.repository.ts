import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { PaymentMethod } from './payment-method.entity';

@Injectable()
export class PaymentMethodRepository {
  /** The user's active payment methods, the default one first, then newest first. */
  async findForUser(em: EntityManager, userId: string, limit: number, offset: number): Promise<[PaymentMethod[], number]> {
    const qb = em.createQueryBuilder(PaymentMethod, 'pm')
      .where({ userId, isActive: true })
      .orderBy({ isDefault: 'desc', createdAt: 'desc', id: 'asc' })
      .limit(limit)
      .offset(offset);
    return qb.getResultAndCount();
  }
}
