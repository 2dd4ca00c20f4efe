import { Migration } from '@mikro-orm/migrations';

/**
 * `group_notification_settings`: each member's notification preferences for a group
 * (`group_memberships.notification_preferences` in group-service, from membership.preferences_updated):
 * `{ expenses, comments, settlements, members, muted }`, each true or missing (notify) or false.
 * The planner drops a group's notifications of a category the member turned off, and all of them
 * when the group is muted (except urgent ones).
 */
export class Migration20261206000700_group_notification_settings extends Migration {
  override async up(): Promise<void> {
    this.addSql(`CREATE TABLE group_notification_settings (
      group_id UUID NOT NULL,
      user_id UUID NOT NULL,
      preferences JSONB NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(preferences) = 'object'),
      last_event_at TIMESTAMPTZ NOT NULL,
      PRIMARY KEY (group_id, user_id)
    )`);
  }
}
