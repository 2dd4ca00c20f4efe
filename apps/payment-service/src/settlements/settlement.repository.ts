import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { TimeIdCursor } from '@tally/service-kit';
import { Settlement, SettlementStatus } from './settlement.entity';

export interface SettlementListQuery {
  /** Whose settlements: those the user pays or receives (`mine`), or (an admin reading a group) all of the group's. */
  userId: string;
  scope: 'mine' | 'group';
  groupId?: string;
  status?: SettlementStatus;
  /** Only those with this other party. */
  counterpartyId?: string;
  after?: TimeIdCursor;
  /** Rows to fetch (the page size + 1, to know whether there is a next page). */
  take: number;
}

/** The columns a state change may set (the rest never change after creation). */
export type SettlementChange = Partial<Pick<Settlement,
  'status' | 'isConfirmedByPayer' | 'isConfirmedByPayee' | 'confirmedAt' | 'completedAt' | 'cancelledAt' | 'cancelledById' | 'refundedAt' | 'remindedAt'
  | 'paymentMethodId' | 'externalTransactionId' | 'paymentService' | 'paymentMetadata'>>;

const COLUMNS: Record<keyof SettlementChange, string> = {
  status: 'status', isConfirmedByPayer: 'is_confirmed_by_payer', isConfirmedByPayee: 'is_confirmed_by_payee', confirmedAt: 'confirmed_at',
  completedAt: 'completed_at', cancelledAt: 'cancelled_at', cancelledById: 'cancelled_by_id', refundedAt: 'refunded_at', remindedAt: 'reminded_at',
  paymentMethodId: 'payment_method_id', externalTransactionId: 'external_transaction_id', paymentService: 'payment_service', paymentMetadata: 'payment_metadata',
};

/** The only code that writes `settlements`. */
@Injectable()
export class SettlementRepository {
  private map(em: EntityManager, row: Record<string, unknown> | undefined): Settlement | null {
    return row ? em.map(Settlement, row) : null;
  }

  async insert(em: EntityManager, s: Settlement): Promise<Settlement> {
    const rows = await em.getConnection().execute<Record<string, unknown>[]>(
      `INSERT INTO settlements (id, payer_id, payee_id, amount, currency_id, currency, group_id, method, status, payment_method_id, due_date, description, notes,
         is_confirmed_by_payer, is_confirmed_by_payee, confirmed_at, completed_at, created_by_id, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?::payment_status, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *`,
      [s.id, s.payerId, s.payeeId, s.amount, s.currencyId, s.currency, s.groupId ?? null, s.method, s.status, s.paymentMethodId ?? null, s.dueDate ?? null,
        s.description ?? null, s.notes ?? null, s.isConfirmedByPayer, s.isConfirmedByPayee, s.confirmedAt ?? null, s.completedAt ?? null, s.createdById, s.createdAt, s.updatedAt],
      'all', em.getTransactionContext(),
    );
    return this.map(em, rows[0])!;
  }

  async findById(em: EntityManager, id: string): Promise<Settlement | null> {
    const rows = await em.getConnection().execute<Record<string, unknown>[]>(`SELECT * FROM settlements WHERE id = ?`, [id], 'all', em.getTransactionContext());
    return this.map(em, rows[0]);
  }

  /** The settlement, its row locked for the rest of the transaction (FOR UPDATE): every state change takes this first. */
  async lock(em: EntityManager, id: string): Promise<Settlement | null> {
    const rows = await em.getConnection().execute<Record<string, unknown>[]>(`SELECT * FROM settlements WHERE id = ? FOR UPDATE`, [id], 'all', em.getTransactionContext());
    return this.map(em, rows[0]);
  }

  /** Applies the change to the row (locked by `lock` in this transaction) and returns it as it now is. */
  async update(em: EntityManager, id: string, change: SettlementChange): Promise<Settlement> {
    const sets: string[] = [];
    const params: unknown[] = [];
    for (const [key, value] of Object.entries(change) as [keyof SettlementChange, unknown][]) {
      if (value === undefined) continue;
      const column = COLUMNS[key];
      sets.push(key === 'status' ? `${column} = ?::payment_status` : key === 'paymentMetadata' ? `${column} = ?::jsonb` : `${column} = ?`);
      params.push(key === 'paymentMetadata' ? JSON.stringify(value) : value);
    }
    sets.push('updated_at = clock_timestamp()');
    const rows = await em.getConnection().execute<Record<string, unknown>[]>(
      `UPDATE settlements SET ${sets.join(', ')} WHERE id = ? RETURNING *`, [...params, id], 'all', em.getTransactionContext(),
    );
    const s = this.map(em, rows[0]);
    if (!s) throw new Error(`settlement ${id} vanished`);
    return s;
  }

  /** Newest first (ties by id), after the cursor. */
  async list(em: EntityManager, q: SettlementListQuery): Promise<Settlement[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (q.scope === 'mine') {
      where.push('(payer_id = ? OR payee_id = ?)');
      params.push(q.userId, q.userId);
    }
    if (q.groupId) {
      where.push('group_id = ?');
      params.push(q.groupId);
    }
    if (q.status) {
      where.push('status = ?::payment_status');
      params.push(q.status);
    }
    if (q.counterpartyId) {
      where.push('(payer_id = ? OR payee_id = ?)');
      params.push(q.counterpartyId, q.counterpartyId);
    }
    if (q.after) {
      where.push('(created_at, id) < (?, ?)');
      params.push(q.after.at, q.after.id);
    }
    if (!where.length) throw new Error('a settlement list is always narrowed to a user or a group');
    params.push(q.take);
    const rows = await em.getConnection().execute<Record<string, unknown>[]>(
      `SELECT * FROM settlements WHERE ${where.join(' AND ')} ORDER BY created_at DESC, id DESC LIMIT ?`, params, 'all', em.getTransactionContext(),
    );
    return rows.map((r) => em.map(Settlement, r));
  }

  /**
   * Marks up to `batch` pending settlements past their due date and not yet reminded as reminded
   * (idx_settlement_pending), skipping rows another transaction holds; returns them.
   */
  async markOverdueReminded(em: EntityManager, batch: number): Promise<Settlement[]> {
    const rows = await em.getConnection().execute<Record<string, unknown>[]>(
      `UPDATE settlements SET reminded_at = clock_timestamp(), updated_at = clock_timestamp()
        WHERE id IN (SELECT id FROM settlements WHERE status = 'pending' AND due_date < clock_timestamp() AND reminded_at IS NULL
                      ORDER BY due_date LIMIT ? FOR UPDATE SKIP LOCKED)
        RETURNING *`,
      [batch], 'all', em.getTransactionContext(),
    );
    return rows.map((r) => em.map(Settlement, r));
  }

  /**
   * Whether a payment for the settlement is pending or processing (uq_payment_live_per_settlement's
   * "live", less completed, which also completes the settlement). A read of `payments`, whose writes
   * belong to the payments module.
   */
  async hasPaymentInFlight(em: EntityManager, settlementId: string): Promise<boolean> {
    const rows = await em.getConnection().execute(
      `SELECT 1 FROM payments WHERE settlement_id = ? AND status IN ('pending', 'processing') LIMIT 1`, [settlementId], 'all', em.getTransactionContext(),
    );
    return rows.length > 0;
  }
}
