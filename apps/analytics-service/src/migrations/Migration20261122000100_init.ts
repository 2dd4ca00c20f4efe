import { Migration } from '@mikro-orm/migrations';
import { MESSAGING_SCHEMA_SQL } from '@tally/messaging';
import { IDENTITY_PROJECTION_SQL } from '@tally/identity';

export class Migration20261122000100_init extends Migration {
  override async up(): Promise<void> {
    for (const sql of [...MESSAGING_SCHEMA_SQL, ...IDENTITY_PROJECTION_SQL]) this.addSql(sql);
    // expense-tracker seed `activity_logs`, the audit trail projected from events: one row per event, keyed by the
    // event id. Two widths differ from the seed because events fill them: `action` holds the event type (up to 100
    // characters in the envelope schema; `email_verification.requested` alone is 28) and `object_id` the event
    // subject (up to 200). `user_id` stays nullable: system events have no acting user.
    this.addSql(`CREATE TABLE activity_logs (
      id UUID PRIMARY KEY,
      user_id UUID,
      action VARCHAR(100) NOT NULL,
      content_type VARCHAR(50),
      object_id VARCHAR(200),
      object_repr VARCHAR(200),
      changes JSONB NOT NULL DEFAULT '{}'::jsonb,
      ip_address INET,
      user_agent TEXT,
      created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
      updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
    )`);
    this.addSql(`CREATE INDEX idx_activity_user_action ON activity_logs (user_id, action, created_at)`);
    this.addSql(`CREATE INDEX idx_activity_object ON activity_logs (content_type, object_id)`);
    // Not in the seed: serves GET /api/v1/activity (one user's entries, newest first).
    this.addSql(`CREATE INDEX idx_activity_user_created ON activity_logs (user_id, created_at DESC, id DESC)`);
  }
}
