import { Migration } from '@mikro-orm/migrations';
import { MESSAGING_SCHEMA_SQL } from '@tally/messaging';
import { IDENTITY_PROJECTION_SQL } from '@tally/identity';

/**
 * notifications and notification_logs from the seed's Notification Domain, with:
 * - user ids as UUID logical references (users live in auth's database; no FK);
 * - TIMESTAMPTZ everywhere;
 * - delivery state the seed lacks: `recipient` (the address at request time), `delivery_status`,
 *   `delivery_attempts`, `last_attempt_at`, `last_error`, `expires_at` (not worth sending after),
 *   `secret_token` (what the worker needs to render the email; cleared once sent or expired,
 *   never returned by the API).
 * The seed's `idx_notification_user_read (user_id, is_read, created_at)` is the same key as its
 * `idx_notification_unread (user_id, is_read, created_at DESC)` (a B-tree scans both ways), so only
 * the latter is created.
 */
export class Migration20261122000600_init extends Migration {
  override async up(): Promise<void> {
    for (const sql of [...MESSAGING_SCHEMA_SQL, ...IDENTITY_PROJECTION_SQL]) this.addSql(sql);
    this.addSql(`CREATE TABLE notifications (
      id UUID PRIMARY KEY,
      user_id UUID NOT NULL,
      sender_id UUID,
      notification_type VARCHAR(30) NOT NULL CHECK (notification_type ~ '^[a-z][a-z0-9_]*$'),
      title VARCHAR(200) NOT NULL,
      message TEXT NOT NULL,
      priority VARCHAR(10) NOT NULL DEFAULT 'normal' CHECK (priority IN ('low','normal','high','urgent')),
      is_read BOOLEAN NOT NULL DEFAULT FALSE,
      read_at TIMESTAMPTZ,
      related_object_type VARCHAR(50),
      related_object_id VARCHAR(100),
      action_url VARCHAR(500),
      metadata JSONB NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(metadata) = 'object'),
      is_sent BOOLEAN NOT NULL DEFAULT FALSE,
      sent_at TIMESTAMPTZ,
      delivery_channels JSONB NOT NULL DEFAULT '[]'::jsonb CHECK (jsonb_typeof(delivery_channels) = 'array'),
      recipient VARCHAR(254),
      delivery_status VARCHAR(20) NOT NULL DEFAULT 'pending'
        CHECK (delivery_status IN ('pending','sent','failed','expired','cancelled')),
      delivery_attempts INTEGER NOT NULL DEFAULT 0 CHECK (delivery_attempts >= 0),
      last_attempt_at TIMESTAMPTZ,
      last_error TEXT,
      expires_at TIMESTAMPTZ,
      secret_token VARCHAR(200),
      created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
      updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
      CONSTRAINT check_notification_read_at CHECK (is_read = FALSE OR read_at IS NOT NULL),
      CONSTRAINT check_notification_sent CHECK (
        (is_sent = TRUE AND delivery_status = 'sent' AND sent_at IS NOT NULL)
        OR (is_sent = FALSE AND delivery_status <> 'sent')
      )
    )`);
    this.addSql(`CREATE INDEX idx_notification_unread ON notifications (user_id, is_read, created_at DESC)`);
    this.addSql(`CREATE INDEX idx_notification_user_created ON notifications (user_id, created_at DESC, id)`);
    this.addSql(`CREATE INDEX idx_notification_type ON notifications (notification_type, created_at)`);
    this.addSql(`CREATE INDEX idx_notification_priority ON notifications (priority, is_sent)`);
    this.addSql(`CREATE INDEX idx_notification_metadata ON notifications USING gin (metadata)`);
    this.addSql(`CREATE INDEX idx_notification_delivery_pending ON notifications (created_at) WHERE delivery_status = 'pending'`);
    this.addSql(`CREATE INDEX idx_notification_secret_expiry ON notifications (expires_at) WHERE secret_token IS NOT NULL`);

    this.addSql(`CREATE TABLE notification_logs (
      id UUID PRIMARY KEY,
      notification_id UUID NOT NULL REFERENCES notifications(id) ON DELETE CASCADE,
      delivery_method VARCHAR(10) NOT NULL CHECK (delivery_method IN ('email','push','sms','in_app')),
      recipient VARCHAR(255) NOT NULL,
      status VARCHAR(20) NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending','sent','delivered','failed','bounced','dead_lettered','expired','skipped')),
      external_id VARCHAR(255),
      sent_at TIMESTAMPTZ,
      delivered_at TIMESTAMPTZ,
      opened_at TIMESTAMPTZ,
      clicked_at TIMESTAMPTZ,
      error_message TEXT,
      retry_count INTEGER NOT NULL DEFAULT 0 CHECK (retry_count >= 0),
      metadata JSONB NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(metadata) = 'object'),
      created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
      updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
    )`);
    this.addSql(`CREATE INDEX idx_log_notification ON notification_logs (notification_id, delivery_method)`);
    this.addSql(`CREATE INDEX idx_log_status ON notification_logs (status, sent_at)`);
    this.addSql(`CREATE INDEX idx_log_dead_lettered ON notification_logs (created_at DESC) WHERE status = 'dead_lettered'`);
  }
}
