import { Migration } from '@mikro-orm/migrations';

/**
 * An SMS delivery may go to someone without an account: a group invitation sent to a phone number
 * alone. Its `user_id` is null and the number is the notification's `recipient`; every other
 * delivery still belongs to a user.
 */
export class Migration20261206000950_sms_deliveries_without_account extends Migration {
  override async up(): Promise<void> {
    this.addSql(`ALTER TABLE notification_deliveries ALTER COLUMN user_id DROP NOT NULL`);
    this.addSql(`ALTER TABLE notification_deliveries ADD CONSTRAINT check_delivery_user CHECK (user_id IS NOT NULL OR channel = 'sms')`);
  }
}
