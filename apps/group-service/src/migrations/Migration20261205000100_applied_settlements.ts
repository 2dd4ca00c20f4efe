import { Migration } from '@mikro-orm/migrations';

/**
 * Group settlements move member balances (docs/adr/0012): `applied_settlements` records each settlement
 * of a group that `member_balances` and `groups.settled_amount` reflect, and what it moved, so that a
 * redelivered or republished settlement.completed never applies twice and settlement.reversed takes back
 * exactly what was applied (once). A reversal of a settlement never applied is kept as `refunded`, so a
 * late completion moves nothing.
 */
export class Migration20261205000100_applied_settlements extends Migration {
  override async up(): Promise<void> {
    this.addSql(`CREATE TABLE applied_settlements (
      settlement_id UUID PRIMARY KEY,
      group_id UUID NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
      payer_id UUID NOT NULL,
      payee_id UUID NOT NULL,
      amount NUMERIC(16,3) NOT NULL CHECK (amount > 0),
      currency VARCHAR(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
      status VARCHAR(20) NOT NULL CHECK (status IN ('completed', 'refunded')),
      applied_at TIMESTAMPTZ NOT NULL DEFAULT now(),
      refunded_at TIMESTAMPTZ,
      CONSTRAINT check_applied_settlement_parties CHECK (payer_id <> payee_id)
    )`);
    this.addSql(`CREATE INDEX idx_applied_settlement_group ON applied_settlements (group_id)`);
  }
}
