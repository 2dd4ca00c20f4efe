import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { money } from '../groups/group.view';

export interface MemberBalance {
  currency: string;
  /** Decimal string: positive when the group owes the member, negative when the member owes. */
  balance: string;
}

/**
 * `member_balances`: each member's balance per currency in a group, the projection the balance hook
 * reads. ExpenseHandlers apply each expense.* event's change (what the expense moves now minus what it
 * moved before) in the consumer's transaction; SettlementHandlers apply each group settlement (payer +,
 * payee −) and take it back when it is reversed (ADR 12).
 */
@Injectable()
export class MemberBalanceRepository {
  /** Adds `delta` (a signed decimal string) to the member's balance in the currency (exact NUMERIC arithmetic). */
  async add(em: EntityManager, groupId: string, userId: string, currency: string, delta: string): Promise<void> {
    await em.getConnection().execute(
      `INSERT INTO member_balances (group_id, user_id, currency, balance) VALUES (?, ?, ?, ?::numeric)
       ON CONFLICT (group_id, user_id, currency) DO UPDATE SET balance = member_balances.balance + EXCLUDED.balance, updated_at = now()`,
      [groupId, userId, currency, delta], 'run', em.getTransactionContext(),
    );
  }

  /** The member's balances in the group that are not zero, by currency. */
  async nonZero(em: EntityManager, groupId: string, userId: string): Promise<MemberBalance[]> {
    const rows = await em.getConnection().execute<MemberBalance[]>(
      `SELECT currency, balance::text AS balance FROM member_balances WHERE group_id = ? AND user_id = ? AND balance <> 0 ORDER BY currency`,
      [groupId, userId], 'all', em.getTransactionContext(),
    );
    // with exactly the currency's places ("-12.50" EUR, "-3000" JPY), as amounts are written everywhere
    return rows.map((r) => ({ currency: r.currency, balance: money(r.balance, r.currency) }));
  }
}
