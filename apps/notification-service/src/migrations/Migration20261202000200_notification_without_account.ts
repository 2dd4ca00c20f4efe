import { Migration } from '@mikro-orm/migrations';

/**
 * A notification may go to an address that has no Tally account yet (a group invitation sent to an
 * email address): `user_id` becomes optional, and every notification still names someone, an account
 * or an address.
 */
export class Migration20261202000200_notification_without_account extends Migration {
  override async up(): Promise<void> {
    this.addSql(`ALTER TABLE notifications ALTER COLUMN user_id DROP NOT NULL`);
    this.addSql(`ALTER TABLE notifications ADD CONSTRAINT check_notification_addressee CHECK (user_id IS NOT NULL OR recipient IS NOT NULL)`);
  }
}
