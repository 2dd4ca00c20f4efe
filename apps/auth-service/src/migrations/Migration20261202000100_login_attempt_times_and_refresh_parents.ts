import { Migration } from '@mikro-orm/migrations';

/**
 * `users.failed_login_at`: when the account's last counted login attempt began. An account's failure
 * count, like a login's in `login_throttles` (`updated_at`), stops counting once its last attempt is
 * older than the lock duration, so an attempt whose check never finished (a crash) cannot keep it
 * spent. Counts of before this migration are dated from the row's last update.
 * `idx_refresh_parent`: a refresh looks up the tokens its token issued (the grace window).
 */
export class Migration20261202000100_login_attempt_times_and_refresh_parents extends Migration {
  override async up(): Promise<void> {
    this.addSql(`ALTER TABLE users ADD COLUMN failed_login_at TIMESTAMPTZ`);
    this.addSql(`UPDATE users SET failed_login_at = updated_at WHERE failed_login_attempts > 0`);
    this.addSql(`CREATE INDEX idx_refresh_parent ON refresh_tokens (parent_id) WHERE parent_id IS NOT NULL`);
  }
}
