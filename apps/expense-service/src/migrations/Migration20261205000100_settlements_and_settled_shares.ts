import { Migration } from '@mikro-orm/migrations';

/**
 * Settling up moves balances and settles shares (docs/adr/0012):
 * - `settlements`: expense-service's projection of payment-service's completed settlements
 *   (settlement.completed / settlement.reversed). A completed one counts in every balance like an
 *   expense paid by the payer and owed by the payee; a refunded one no longer counts. `group_id` null:
 *   between two friends outside groups.
 * - `expense_shares.settled_amount`: how much of the share settlements have paid (0 ≤ settled ≤ amount);
 *   a share is settled exactly when all of it is (`is_settled = (settled_amount = amount)`), so a partly
 *   paid share shows what is paid and stays open.
 * - `share_settlements`: which settlement paid how much of which share, so a reversal takes back exactly
 *   its own allocations and nothing else.
 */
export class Migration20261205000100_settlements_and_settled_shares extends Migration {
  override async up(): Promise<void> {
    this.addSql(`CREATE TABLE settlements (
      id UUID PRIMARY KEY,
      group_id UUID,
      payer_id UUID NOT NULL,
      payee_id UUID NOT NULL,
      amount NUMERIC(16,3) NOT NULL CHECK (amount > 0),
      currency VARCHAR(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
      status VARCHAR(20) NOT NULL CHECK (status IN ('completed', 'refunded')),
      payment_id UUID,
      completed_at TIMESTAMPTZ,
      refunded_at TIMESTAMPTZ,
      last_event_at TIMESTAMPTZ NOT NULL,
      created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
      CONSTRAINT check_settlement_parties CHECK (payer_id <> payee_id),
      CONSTRAINT check_settlement_refunded CHECK ((status = 'refunded') = (refunded_at IS NOT NULL))
    )`);
    this.addSql(`CREATE INDEX idx_settlement_group ON settlements (group_id, currency) WHERE status = 'completed'`);
    this.addSql(`CREATE INDEX idx_settlement_payer ON settlements (payer_id) WHERE status = 'completed'`);
    this.addSql(`CREATE INDEX idx_settlement_payee ON settlements (payee_id) WHERE status = 'completed'`);

    this.addSql(`ALTER TABLE expense_shares ADD COLUMN settled_amount NUMERIC(16,3) NOT NULL DEFAULT 0`);
    this.addSql(`ALTER TABLE expense_shares ADD CONSTRAINT check_share_settled_amount CHECK (settled_amount >= 0 AND settled_amount <= amount)`);
    this.addSql(`ALTER TABLE expense_shares ADD CONSTRAINT check_share_settled_in_full CHECK (is_settled = (settled_amount = amount))`);

    this.addSql(`CREATE TABLE share_settlements (
      share_id UUID NOT NULL REFERENCES expense_shares(id) ON DELETE CASCADE,
      settlement_id UUID NOT NULL REFERENCES settlements(id),
      amount NUMERIC(16,3) NOT NULL CHECK (amount > 0),
      created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
      PRIMARY KEY (share_id, settlement_id)
    )`);
    this.addSql(`CREATE INDEX idx_share_settlement_settlement ON share_settlements (settlement_id)`);
  }
}
