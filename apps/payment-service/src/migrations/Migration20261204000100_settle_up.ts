import { Migration } from '@mikro-orm/migrations';

/**
 * The seed's `settlements`, `payments` and `payment_webhooks`, the rest of `payment_methods`, and
 * what settling up needs beyond the seed (docs/adr/0011):
 * - the seed's `payment_status` enum, used by payments (all of it) and settlements (pending →
 *   completed | cancelled, completed → refunded);
 * - amounts NUMERIC(16,3) with the ISO code beside `currency_id`, as expenses have (BHD has 3 decimals);
 * - `payment_methods.details` holds only `{ "sealed": <AES-256-GCM under SECRETS_KEY> }`;
 *   `details_masked` is what the API shows; `cash` joins the types; removal is soft (settlements
 *   and payments keep their foreign keys);
 * - at most one live payment (pending, processing, completed) per settlement;
 * - `idempotency_keys`: Stripe's `Idempotency-Key` semantics for every POST that moves money.
 * - projections kept from other services' events, the same shape as expense-service's: `group_members`
 *   (membership.*: who may settle in a group, and its admins, who may read its settlements) and
 *   `friendships` (friendship.*: settling outside groups is between friends).
 * People are logical references to auth's users and groups to group-service's: no foreign keys
 * across databases.
 */
export class Migration20261204000100_settle_up extends Migration {
  override async up(): Promise<void> {
    this.addSql(`CREATE TYPE payment_status AS ENUM ('pending', 'processing', 'completed', 'failed', 'refunded', 'cancelled')`);

    this.addSql(`ALTER TABLE payment_methods DROP CONSTRAINT payment_methods_method_type_check`);
    this.addSql(`ALTER TABLE payment_methods ADD CONSTRAINT payment_methods_method_type_check
      CHECK (method_type IN ('bank','card','paypal','stripe','venmo','upi','cash','other'))`);
    this.addSql(`ALTER TABLE payment_methods
      ADD COLUMN details_masked JSONB NOT NULL DEFAULT '{}'::jsonb,
      ADD COLUMN provider VARCHAR(50),
      ADD COLUMN verified_at TIMESTAMPTZ,
      ADD COLUMN removed_at TIMESTAMPTZ,
      ADD CONSTRAINT check_verified CHECK (is_verified = (verified_at IS NOT NULL)),
      ADD CONSTRAINT check_removed_inactive CHECK (removed_at IS NULL OR NOT is_active)`);
    // Not unique: a test-mode id (pm_card_visa) or a card added twice may be the same reference.
    this.addSql(`CREATE INDEX idx_payment_method_external ON payment_methods (provider, external_id) WHERE external_id IS NOT NULL`);

    this.addSql(`CREATE TABLE settlements (
      id UUID PRIMARY KEY,
      payer_id UUID NOT NULL,
      payee_id UUID NOT NULL,
      amount NUMERIC(16,3) NOT NULL,
      currency_id UUID NOT NULL,
      currency VARCHAR(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
      group_id UUID,
      method VARCHAR(20) NOT NULL DEFAULT 'manual' CHECK (method IN ('manual', 'automatic', 'external')),
      status payment_status NOT NULL DEFAULT 'pending',
      payment_method_id UUID REFERENCES payment_methods(id),
      external_transaction_id VARCHAR(255),
      payment_service VARCHAR(50),
      payment_metadata JSONB NOT NULL DEFAULT '{}'::jsonb,
      due_date TIMESTAMPTZ,
      completed_at TIMESTAMPTZ,
      description TEXT,
      notes TEXT,
      is_confirmed_by_payer BOOLEAN NOT NULL DEFAULT FALSE,
      is_confirmed_by_payee BOOLEAN NOT NULL DEFAULT FALSE,
      confirmed_at TIMESTAMPTZ,
      created_by_id UUID NOT NULL,
      cancelled_at TIMESTAMPTZ,
      cancelled_by_id UUID,
      refunded_at TIMESTAMPTZ,
      reminded_at TIMESTAMPTZ,
      created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
      updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
      CONSTRAINT check_positive_settlement CHECK (amount > 0),
      CONSTRAINT check_different_parties CHECK (payer_id <> payee_id),
      CONSTRAINT check_settlement_status CHECK (status IN ('pending', 'completed', 'cancelled', 'refunded')),
      CONSTRAINT check_settlement_completed CHECK ((status IN ('completed', 'refunded')) = (completed_at IS NOT NULL)),
      CONSTRAINT check_settlement_cancelled CHECK ((status = 'cancelled') = (cancelled_at IS NOT NULL))
    )`);
    this.addSql(`CREATE INDEX idx_settlement_payer_status ON settlements (payer_id, status)`);
    this.addSql(`CREATE INDEX idx_settlement_payee_status ON settlements (payee_id, status)`);
    this.addSql(`CREATE INDEX idx_settlement_group_status ON settlements (group_id, status)`);
    this.addSql(`CREATE INDEX idx_settlement_status_due ON settlements (status, due_date)`);
    this.addSql(`CREATE INDEX idx_settlement_pending ON settlements (status, due_date) WHERE status = 'pending'`);
    this.addSql(`CREATE INDEX idx_settlement_user ON settlements (payer_id, payee_id, status)`);

    this.addSql(`CREATE TABLE payments (
      id UUID PRIMARY KEY,
      settlement_id UUID NOT NULL REFERENCES settlements(id),
      amount NUMERIC(16,3) NOT NULL,
      currency_id UUID NOT NULL,
      currency VARCHAR(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
      payment_method_id UUID NOT NULL REFERENCES payment_methods(id),
      status payment_status NOT NULL DEFAULT 'pending',
      external_transaction_id VARCHAR(255),
      payment_service VARCHAR(50) NOT NULL,
      processing_fee NUMERIC(16,3) NOT NULL DEFAULT 0 CHECK (processing_fee >= 0),
      initiated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
      processed_at TIMESTAMPTZ,
      metadata JSONB NOT NULL DEFAULT '{}'::jsonb,
      error_code VARCHAR(100),
      error_message TEXT,
      created_by_id UUID NOT NULL,
      created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
      updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
      CONSTRAINT check_positive_payment CHECK (amount > 0),
      CONSTRAINT idx_payment_external_id UNIQUE (external_transaction_id)
    )`);
    this.addSql(`CREATE INDEX idx_payment_status ON payments (status, initiated_at)`);
    this.addSql(`CREATE INDEX idx_payment_settlement ON payments (settlement_id, status)`);
    this.addSql(`CREATE UNIQUE INDEX uq_payment_live_per_settlement ON payments (settlement_id) WHERE status IN ('pending', 'processing', 'completed')`);

    this.addSql(`CREATE TABLE payment_webhooks (
      id UUID PRIMARY KEY,
      service VARCHAR(20) NOT NULL,
      event_id VARCHAR(255) NOT NULL,
      event_type VARCHAR(100) NOT NULL,
      raw_payload JSONB NOT NULL,
      processed_payload JSONB NOT NULL DEFAULT '{}'::jsonb,
      status VARCHAR(20) NOT NULL DEFAULT 'received' CHECK (status IN ('received', 'processing', 'processed', 'ignored', 'failed')),
      processed_at TIMESTAMPTZ,
      payment_id UUID REFERENCES payments(id),
      error_message TEXT,
      retry_count INTEGER NOT NULL DEFAULT 0 CHECK (retry_count >= 0),
      created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
      updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
      CONSTRAINT payment_webhooks_event_id_key UNIQUE (event_id)
    )`);
    this.addSql(`CREATE INDEX idx_webhook_service_type ON payment_webhooks (service, event_type)`);
    this.addSql(`CREATE INDEX idx_webhook_status ON payment_webhooks (status, created_at)`);

    // Stripe's semantics: the same key and body within 24 h returns the first answer; the same key with
    // another body is refused; concurrent requests wait on the row's unique index, so one object is made.
    this.addSql(`CREATE TABLE idempotency_keys (
      user_id UUID NOT NULL,
      idempotency_key VARCHAR(255) NOT NULL,
      method VARCHAR(10) NOT NULL,
      path VARCHAR(500) NOT NULL,
      request_hash CHAR(64) NOT NULL,
      status_code SMALLINT NOT NULL,
      response_body JSONB NOT NULL,
      created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
      expires_at TIMESTAMPTZ NOT NULL,
      PRIMARY KEY (user_id, idempotency_key)
    )`);
    this.addSql(`CREATE INDEX idx_idempotency_expires ON idempotency_keys (expires_at)`);

    this.addSql(`CREATE TABLE group_members (
      group_id UUID NOT NULL,
      user_id UUID NOT NULL,
      membership_id UUID NOT NULL UNIQUE,
      role VARCHAR(20) NOT NULL CHECK (role IN ('admin', 'member', 'viewer')),
      is_active BOOLEAN NOT NULL,
      last_event_at TIMESTAMPTZ NOT NULL,
      PRIMARY KEY (group_id, user_id)
    )`);
    this.addSql(`CREATE INDEX idx_group_members_user ON group_members (user_id) WHERE is_active`);
    this.addSql(`CREATE TABLE friendships (
      id UUID PRIMARY KEY,
      user_a UUID NOT NULL,
      user_b UUID NOT NULL,
      status VARCHAR(10) NOT NULL CHECK (status IN ('pending', 'accepted', 'declined', 'blocked', 'removed')),
      last_event_at TIMESTAMPTZ NOT NULL,
      CONSTRAINT check_friendship_order CHECK (user_a < user_b)
    )`);
    this.addSql(`CREATE INDEX idx_friendships_pair ON friendships (user_a, user_b)`);
  }
}
