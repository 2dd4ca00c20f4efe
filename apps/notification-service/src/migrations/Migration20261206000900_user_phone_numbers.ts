import { Migration } from '@mikro-orm/migrations';

/**
 * `user_phone_numbers`: the projection of auth's `user.phone_changed` (auth.phone-number.v1, read
 * only here), the number SMS deliveries go to. One row per user; `phone_number` null once cleared.
 * Events older than `last_event_at` are ignored. The number is the user's own claim (auth does not
 * verify phone numbers), so SMS is opt-in: only the types and people whose channels include `sms`.
 */
export class Migration20261206000900_user_phone_numbers extends Migration {
  override async up(): Promise<void> {
    this.addSql(`CREATE TABLE user_phone_numbers (
      user_id UUID PRIMARY KEY,
      phone_number VARCHAR(17) CHECK (phone_number ~ '^\\+[1-9][0-9]{6,15}$'),
      last_event_at TIMESTAMPTZ NOT NULL,
      created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
      updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
    )`);
  }
}
