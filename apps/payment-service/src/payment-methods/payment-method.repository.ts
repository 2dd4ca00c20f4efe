import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { TimeIdCursor } from '@tally/service-kit';
import { PaymentMethod } from './payment-method.entity';

/** The default method sorts before every other: its cursor key is this time. */
export const DEFAULT_SORT_TIME = new Date('9999-12-31T23:59:59.999Z');

export interface PaymentMethodListQuery {
  includeInactive: boolean;
  after?: TimeIdCursor;
  take: number;
}

export type PaymentMethodChange = Partial<Pick<PaymentMethod, 'name' | 'isActive' | 'isDefault' | 'removedAt'>>;

const COLUMNS: Record<keyof PaymentMethodChange, string> = { name: 'name', isActive: 'is_active', isDefault: 'is_default', removedAt: 'removed_at' };

/** The only code that touches `payment_methods`. Removed methods (removed_at set) are invisible to every read here but `findById`. */
@Injectable()
export class PaymentMethodRepository {
  private one(em: EntityManager, rows: Record<string, unknown>[]): PaymentMethod | null {
    return rows[0] ? em.map(PaymentMethod, rows[0]) : null;
  }

  private exec(em: EntityManager, sql: string, params: unknown[]): Promise<Record<string, unknown>[]> {
    return em.getConnection().execute<Record<string, unknown>[]>(sql, params, 'all', em.getTransactionContext());
  }

  async insert(em: EntityManager, pm: PaymentMethod): Promise<PaymentMethod> {
    const rows = await this.exec(
      em,
      `INSERT INTO payment_methods (id, user_id, method_type, name, details, details_masked, is_active, is_default, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?::jsonb, ?::jsonb, ?, ?, ?, ?) RETURNING *`,
      [pm.id, pm.userId, pm.methodType, pm.name, JSON.stringify(pm.details), JSON.stringify(pm.detailsMasked), pm.isActive, pm.isDefault, pm.createdAt, pm.updatedAt],
    );
    return this.one(em, rows)!;
  }

  /**
   * Serialises the changes of one user's defaults for the rest of the transaction (an advisory lock on
   * the user): two concurrent "make default" never both pass uq_payment_method_user_default's check.
   */
  async lockUser(em: EntityManager, userId: string): Promise<void> {
    await em.getConnection().execute(`SELECT pg_advisory_xact_lock(hashtextextended(?, 0))`, [`payment-methods:${userId}`], 'all', em.getTransactionContext());
  }

  /** The user's method (active or deactivated, not removed); `lock` takes its row FOR UPDATE. */
  async findOwned(em: EntityManager, userId: string, id: string, lock = false): Promise<PaymentMethod | null> {
    return this.one(em, await this.exec(em, `SELECT * FROM payment_methods WHERE id = ? AND user_id = ? AND removed_at IS NULL${lock ? ' FOR UPDATE' : ''}`, [id, userId]));
  }

  /** The user's active method, or null. */
  async findUsable(em: EntityManager, userId: string, id: string): Promise<PaymentMethod | null> {
    return this.one(em, await this.exec(em, `SELECT * FROM payment_methods WHERE id = ? AND user_id = ? AND is_active AND removed_at IS NULL`, [id, userId]));
  }

  async findById(em: EntityManager, id: string): Promise<PaymentMethod | null> {
    return this.one(em, await this.exec(em, `SELECT * FROM payment_methods WHERE id = ?`, [id]));
  }

  async hasDefault(em: EntityManager, userId: string): Promise<boolean> {
    return (await this.exec(em, `SELECT 1 FROM payment_methods WHERE user_id = ? AND is_default AND is_active LIMIT 1`, [userId])).length > 0;
  }

  /** Unsets the user's default (if any). */
  async clearDefault(em: EntityManager, userId: string): Promise<void> {
    await this.exec(em, `UPDATE payment_methods SET is_default = FALSE, updated_at = clock_timestamp() WHERE user_id = ? AND is_default`, [userId]);
  }

  async update(em: EntityManager, id: string, change: PaymentMethodChange): Promise<PaymentMethod> {
    const sets: string[] = [];
    const params: unknown[] = [];
    for (const [key, value] of Object.entries(change) as [keyof PaymentMethodChange, unknown][]) {
      if (value === undefined) continue;
      sets.push(`${COLUMNS[key]} = ?`);
      params.push(value);
    }
    sets.push('updated_at = clock_timestamp()');
    const pm = this.one(em, await this.exec(em, `UPDATE payment_methods SET ${sets.join(', ')} WHERE id = ? RETURNING *`, [...params, id]));
    if (!pm) throw new Error(`payment method ${id} vanished`);
    return pm;
  }

  /** A provider confirmed the method: verified now, with the provider's reference. False when there is no such active method. */
  async markVerified(em: EntityManager, id: string, provider: string, externalId: string): Promise<boolean> {
    const res = await em.getConnection().execute<{ affectedRows?: number }>(
      `UPDATE payment_methods SET is_verified = TRUE, verified_at = COALESCE(verified_at, clock_timestamp()), provider = ?, external_id = ?, updated_at = clock_timestamp()
        WHERE id = ? AND is_active AND removed_at IS NULL`,
      [provider, externalId, id], 'run', em.getTransactionContext(),
    );
    return Number(res.affectedRows ?? 0) > 0;
  }

  /**
   * The user's methods (not removed; deactivated ones only with `includeInactive`), the default first,
   * then newest first (ties by id): ordered by (default ? DEFAULT_SORT_TIME : created_at, id) descending,
   * which is also the cursor's key.
   */
  async list(em: EntityManager, userId: string, q: PaymentMethodListQuery): Promise<PaymentMethod[]> {
    const sortKey = `(CASE WHEN is_default AND is_active THEN ?::timestamptz ELSE created_at END)`;
    const where = ['user_id = ?', 'removed_at IS NULL'];
    const params: unknown[] = [userId];
    if (!q.includeInactive) where.push('is_active');
    if (q.after) {
      where.push(`(${sortKey}, id) < (?, ?)`);
      params.push(DEFAULT_SORT_TIME, q.after.at, q.after.id);
    }
    params.push(DEFAULT_SORT_TIME, q.take);
    const rows = await this.exec(
      em,
      `SELECT * FROM payment_methods WHERE ${where.join(' AND ')} ORDER BY ${sortKey} DESC, id DESC LIMIT ?`,
      params,
    );
    return rows.map((r) => em.map(PaymentMethod, r));
  }
}
