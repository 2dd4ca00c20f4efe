import { Migration } from '@mikro-orm/migrations';

/**
 * Email open/click tracking finds the `sent` log row of a delivery by `metadata->>'deliveryId'`
 * (the id in the tracking token): an index for that lookup.
 */
export class Migration20261206001000_email_tracking extends Migration {
  override async up(): Promise<void> {
    this.addSql(`CREATE INDEX idx_notification_log_delivery ON notification_logs ((metadata->>'deliveryId')) WHERE status = 'sent'`);
  }
}
