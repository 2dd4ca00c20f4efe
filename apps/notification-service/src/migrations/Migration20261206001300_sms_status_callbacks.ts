import { Migration } from '@mikro-orm/migrations';

/**
 * Twilio's status callbacks name a message by its sid, our SMS log row's `external_id`: an index for
 * that lookup (only rows that have one: a provider's id is set on `sent` rows).
 */
export class Migration20261206001300_sms_status_callbacks extends Migration {
  override async up(): Promise<void> {
    this.addSql(`CREATE INDEX idx_notification_log_external_id ON notification_logs (external_id, delivery_method) WHERE external_id IS NOT NULL`);
  }
}
