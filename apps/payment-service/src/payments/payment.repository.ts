import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { TimeIdCursor } from '@tally/service-kit';
import type { PaymentStatus } from './payment-status';

/** A row of `payments`: one attempt to pay a settlement through a provider. */
export interface Payment {
  id: string;
  settlementId: string;
  /** NUMERIC(16,3) as PostgreSQL returns it ("12.500"). */
  amount: string;
  currencyId: string;
  currency: string;
  paymentMethodId: string;
  status: PaymentStatus;
  /** The provider's id of it (Stripe's PaymentIntent id); set once the provider answered. */
  externalTransactionId: string | null;
  /** The provider: 'stripe' | 'sandbox'. */
  paymentService: string;
  /** NUMERIC(16,3), in the payment's currency. */
  processingFee: string;
  initiatedAt: Date;
  /** When it reached a final status (completed, failed, cancelled; refunded keeps its completion time). */
  processedAt: Date | null;
  metadata: Record<string, unknown>;
  errorCode: string | null;
  errorMessage: string | null;
  createdById: string;
  createdAt: Date;
  updatedAt: Date;
}

export type NewPayment = Pick<Payment, 'id' | 'settlementId' | 'amount' | 'currencyId' | 'currency' | 'paymentMethodId' | 'paymentService' | 'createdById' | 'metadata'>;

/** The columns a change may set. */
export type PaymentChange = Partial<Pick<Payment, 'status' | 'externalTransactionId' | 'processingFee' | 'processedAt' | 'errorCode' | 'errorMessage'>>;

const COLUMNS: Record<keyof PaymentChange, string> = {
  status: 'status', externalTransactionId: 'external_transaction_id', processingFee: 'processing_fee', processedAt: 'processed_at',
  errorCode: 'error_code', errorMessage: 'error_message',
};

const date = (v: unknown): Date => (v instanceof Date ? v : new Date(String(v)));
const dateOrNull = (v: unknown): Date | null => (v === null || v === undefined ? null : date(v));

function toPayment(r: Record<string, unknown>): Payment {
  return {
    id: String(r.id),
    settlementId: String(r.settlement_id),
    amount: String(r.amount),
    currencyId: String(r.currency_id),
    currency: String(r.currency),
    paymentMethodId: String(r.payment_method_id),
    status: r.status as PaymentStatus,
    externalTransactionId: (r.external_transaction_id as string | null) ?? null,
    paymentService: String(r.payment_service),
    processingFee: String(r.processing_fee),
    initiatedAt: date(r.initiated_at),
    processedAt: dateOrNull(r.processed_at),
    metadata: (typeof r.metadata === 'string' ? JSON.parse(r.metadata) : r.metadata ?? {}) as Record<string, unknown>,
    errorCode: (r.error_code as string | null) ?? null,
    errorMessage: (r.error_message as string | null) ?? null,
    createdById: String(r.created_by_id),
    createdAt: date(r.created_at),
    updatedAt: date(r.updated_at),
  };
}

/** The only code that touches `payments` (settlements only read whether one is in flight). */
@Injectable()
export class PaymentRepository {
  private async rows(em: EntityManager, sql: string, params: unknown[]): Promise<Payment[]> {
    const rows = await em.getConnection().execute<Record<string, unknown>[]>(sql, params, 'all', em.getTransactionContext());
    return rows.map(toPayment);
  }

  /** Inserts it `pending`. A second live payment for the settlement violates uq_payment_live_per_settlement (23505). */
  async insert(em: EntityManager, p: NewPayment): Promise<Payment> {
    const [row] = await this.rows(
      em,
      `INSERT INTO payments (id, settlement_id, amount, currency_id, currency, payment_method_id, status, payment_service, metadata, created_by_id)
       VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?::jsonb, ?) RETURNING *`,
      [p.id, p.settlementId, p.amount, p.currencyId, p.currency, p.paymentMethodId, p.paymentService, JSON.stringify(p.metadata), p.createdById],
    );
    return row;
  }

  async findById(em: EntityManager, id: string): Promise<Payment | null> {
    return (await this.rows(em, `SELECT * FROM payments WHERE id = ?`, [id]))[0] ?? null;
  }

  /** The settlement's payment that is pending, processing or completed (at most one: uq_payment_live_per_settlement). */
  async findLive(em: EntityManager, settlementId: string): Promise<Payment | null> {
    return (await this.rows(em, `SELECT * FROM payments WHERE settlement_id = ? AND status IN ('pending', 'processing', 'completed') LIMIT 1`, [settlementId]))[0] ?? null;
  }

  /**
   * The payment a provider's event is about, locked FOR UPDATE: by the provider's id of it, or by our id
   * when the provider echoes it — always one of this provider's payments, so one provider's events can
   * never move another's payments.
   */
  async lockForProvider(em: EntityManager, provider: string, ref: { externalId: string | null; paymentId: string | null }): Promise<Payment | null> {
    if (ref.externalId) {
      const [p] = await this.rows(em, `SELECT * FROM payments WHERE payment_service = ? AND external_transaction_id = ? FOR UPDATE`, [provider, ref.externalId]);
      if (p) return p;
    }
    if (ref.paymentId) {
      const [p] = await this.rows(em, `SELECT * FROM payments WHERE payment_service = ? AND id = ? FOR UPDATE`, [provider, ref.paymentId]);
      // An event naming another external id than the one we hold is not about this payment.
      if (p && (!ref.externalId || !p.externalTransactionId || p.externalTransactionId === ref.externalId)) return p;
    }
    return null;
  }

  /** A settlement's payments, newest first (ties by id), after the cursor. */
  async listForSettlement(em: EntityManager, settlementId: string, after: TimeIdCursor | undefined, take: number): Promise<Payment[]> {
    const params: unknown[] = [settlementId];
    let page = '';
    if (after) {
      page = ' AND (created_at, id) < (?, ?)';
      params.push(after.at, after.id);
    }
    params.push(take);
    return this.rows(em, `SELECT * FROM payments WHERE settlement_id = ?${page} ORDER BY created_at DESC, id DESC LIMIT ?`, params);
  }

  /** Payments of a provider still waiting for it (pending or processing), oldest first. */
  async findInFlight(em: EntityManager, provider: string, limit: number): Promise<Payment[]> {
    return this.rows(
      em,
      `SELECT * FROM payments WHERE payment_service = ? AND status IN ('pending', 'processing') AND external_transaction_id IS NOT NULL ORDER BY created_at LIMIT ?`,
      [provider, limit],
    );
  }

  /** Applies the change and returns the row as it now is. */
  async update(em: EntityManager, id: string, change: PaymentChange): Promise<Payment> {
    const sets: string[] = [];
    const params: unknown[] = [];
    for (const [key, value] of Object.entries(change) as [keyof PaymentChange, unknown][]) {
      if (value === undefined) continue;
      sets.push(key === 'status' ? `${COLUMNS[key]} = ?::payment_status` : `${COLUMNS[key]} = ?`);
      params.push(value);
    }
    sets.push('updated_at = clock_timestamp()');
    const [row] = await this.rows(em, `UPDATE payments SET ${sets.join(', ')} WHERE id = ? RETURNING *`, [...params, id]);
    if (!row) throw new Error(`payment ${id} vanished`);
    return row;
  }
}
