import { Migration } from '@mikro-orm/migrations';
import { MESSAGING_SCHEMA_SQL } from '@tally/messaging';
import { IDENTITY_PROJECTION_SQL } from '@tally/identity';

export class Migration20261122000100_init extends Migration {
  override async up(): Promise<void> {
    for (const sql of [...MESSAGING_SCHEMA_SQL, ...IDENTITY_PROJECTION_SQL]) this.addSql(sql);
    // expense-tracker seed `payment_methods`. The seed's type list ends in "etc", so it is closed here with 'other';
    // a new provider is a new migration widening this CHECK.
    this.addSql(`CREATE TABLE payment_methods (
      id UUID PRIMARY KEY,
      user_id UUID NOT NULL,
      method_type VARCHAR(20) NOT NULL CHECK (method_type IN ('bank','card','paypal','stripe','venmo','upi','other')),
      name VARCHAR(100) NOT NULL,
      details JSONB NOT NULL DEFAULT '{}'::jsonb,
      external_id VARCHAR(255),
      metadata JSONB NOT NULL DEFAULT '{}'::jsonb,
      is_active BOOLEAN NOT NULL DEFAULT TRUE,
      is_verified BOOLEAN NOT NULL DEFAULT FALSE,
      is_default BOOLEAN NOT NULL DEFAULT FALSE,
      created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
      updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
    )`);
    this.addSql(`CREATE INDEX idx_payment_method_is_active ON payment_methods (is_active)`);
    this.addSql(`CREATE INDEX idx_payment_method_user ON payment_methods (user_id, is_active)`);
    this.addSql(`CREATE INDEX idx_payment_method_type ON payment_methods (method_type, is_active)`);
    // Not in the seed, implied by `is_default`: a user has at most one default among their active methods.
    this.addSql(`CREATE UNIQUE INDEX uq_payment_method_user_default ON payment_methods (user_id) WHERE is_default AND is_active`);
  }
}
