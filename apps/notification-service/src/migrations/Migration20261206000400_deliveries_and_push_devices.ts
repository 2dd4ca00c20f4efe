import { Migration } from '@mikro-orm/migrations';

/**
 * Outbound deliveries of notifications produced from domain events (ADR 0013):
 * - `push_devices`: the projection of auth's `device.*` events (auth.device.v1, read only here):
 *   the push target of each device. `token` is the APNs/FCM token or, for web, the browser's
 *   PushSubscription JSON (never logged or returned). `is_active` false once auth removes it or the
 *   push service reports it gone (404/410; `deactivated_reason`), until auth re-registers it.
 * - `notification_deliveries`: the plan, one row per notification, channel and target (a push
 *   device, or none for email/sms), written in the transaction that stores the notification, so a
 *   delivery can never be lost between PostgreSQL and the queue. `deliver_after` is when it may go
 *   (the end of the recipient's quiet hours, or now); `digest_at` is set when the recipient's
 *   frequency limit gathers it into a digest instead. A BullMQ job per row (job id = row id) sends
 *   it; every attempt is a `notification_logs` row.
 */
export class Migration20261206000400_deliveries_and_push_devices extends Migration {
  override async up(): Promise<void> {
    this.addSql(`CREATE TABLE push_devices (
      device_id UUID PRIMARY KEY,
      user_id UUID NOT NULL,
      device_type VARCHAR(10) NOT NULL CHECK (device_type IN ('ios', 'android', 'web')),
      device_name VARCHAR(100),
      token TEXT NOT NULL,
      is_active BOOLEAN NOT NULL,
      deactivated_reason VARCHAR(50),
      last_event_at TIMESTAMPTZ NOT NULL,
      created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
      updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
    )`);
    this.addSql(`CREATE INDEX idx_push_devices_user ON push_devices (user_id) WHERE is_active`);

    this.addSql(`CREATE TABLE notification_deliveries (
      id UUID PRIMARY KEY,
      notification_id UUID NOT NULL REFERENCES notifications(id) ON DELETE CASCADE,
      user_id UUID NOT NULL,
      channel VARCHAR(10) NOT NULL CHECK (channel IN ('email', 'push', 'sms')),
      target VARCHAR(100) NOT NULL DEFAULT '',
      status VARCHAR(20) NOT NULL DEFAULT 'scheduled'
        CHECK (status IN ('scheduled', 'sent', 'failed', 'skipped', 'digested', 'cancelled')),
      deliver_after TIMESTAMPTZ NOT NULL,
      digest_at TIMESTAMPTZ,
      attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
      last_error TEXT,
      sent_at TIMESTAMPTZ,
      created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
      updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
      CONSTRAINT uq_notification_delivery UNIQUE (notification_id, channel, target)
    )`);
    this.addSql(`CREATE INDEX idx_delivery_due ON notification_deliveries (deliver_after) WHERE status = 'scheduled' AND digest_at IS NULL`);
    this.addSql(`CREATE INDEX idx_delivery_digest ON notification_deliveries (digest_at, user_id) WHERE status = 'scheduled' AND digest_at IS NOT NULL`);
  }
}
