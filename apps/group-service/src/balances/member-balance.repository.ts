import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';

export interface MemberBalance {
  currency: string;
  /** Decimal string: positive when the group owes the member, negative when the member owes. */
  balance: string;
}

/**
 * `member_balances`: each member's balance per currency in a group, the projection the balance hook
 * reads. It is written by the consumers of expense and payment events (the expense and settle-up
 * issues add them: expense.created/updated/deleted and settlement.completed change the rows of the
 * members involved, in the consumer's transaction); until then every balance is zero.
 */
@Injectable()
export class MemberBalanceRepository {
  /** The member's balances in the group that are not zero, by currency. */
  async nonZero(em: EntityManager, groupId: string, userId: string): Promise<MemberBalance[]> {
    return em.getConnection().execute<MemberBalance[]>(
      `SELECT currency, balance::text AS balance FROM member_balances WHERE group_id = ? AND user_id = ? AND balance <> 0 ORDER BY currency`,
      [groupId, userId], 'all', em.getTransactionContext(),
    );
  }
}
