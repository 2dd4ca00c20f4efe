import { Migration } from '@mikro-orm/migrations';

/**
 * `group_members`: the projection of group-service's memberships (membership.*; kept by
 * @tally/projections), the same shape as payment-service's and expense-service's. Notifications need
 * a group's admins (an expense waiting for approval goes to them).
 */
export class Migration20261206000300_group_members_projection extends Migration {
  override async up(): Promise<void> {
    this.addSql(`CREATE TABLE group_members (
      group_id UUID NOT NULL,
      user_id UUID NOT NULL,
      membership_id UUID NOT NULL UNIQUE,
      role VARCHAR(20) NOT NULL CHECK (role IN ('admin', 'member', 'viewer')),
      is_active BOOLEAN NOT NULL,
      last_event_at TIMESTAMPTZ NOT NULL,
      PRIMARY KEY (group_id, user_id)
    )`);
    this.addSql(`CREATE INDEX idx_group_members_user ON group_members (user_id) WHERE is_active`);
  }
}
