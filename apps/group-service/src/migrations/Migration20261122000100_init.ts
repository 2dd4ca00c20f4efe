import { Migration } from '@mikro-orm/migrations';
import { MESSAGING_SCHEMA_SQL } from '@tally/messaging';
import { IDENTITY_PROJECTION_SQL } from '@tally/identity';

export class Migration20261122000100_init extends Migration {
  override async up(): Promise<void> {
    for (const sql of [...MESSAGING_SCHEMA_SQL, ...IDENTITY_PROJECTION_SQL]) this.addSql(sql);
    this.addSql(`CREATE TABLE groups (
      id UUID PRIMARY KEY,
      name VARCHAR(100) NOT NULL,
      description TEXT,
      group_type VARCHAR(20) NOT NULL DEFAULT 'other' CHECK (group_type IN ('personal','trip','home','couple','project','other')),
      image VARCHAR(255),
      currency_id UUID NOT NULL,
      is_private BOOLEAN NOT NULL DEFAULT FALSE,
      invite_code VARCHAR(12) UNIQUE,
      member_count INTEGER NOT NULL DEFAULT 0,
      total_expenses NUMERIC(15,2) NOT NULL DEFAULT 0,
      settled_amount NUMERIC(15,2) NOT NULL DEFAULT 0,
      is_active BOOLEAN NOT NULL DEFAULT TRUE,
      is_archived BOOLEAN NOT NULL DEFAULT FALSE,
      archived_at TIMESTAMPTZ,
      created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
      updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
    )`);
    this.addSql(`CREATE INDEX idx_group_name_active ON groups (name, is_active)`);
    this.addSql(`CREATE INDEX idx_group_is_active ON groups (is_active)`);
    this.addSql(`CREATE TABLE group_memberships (
      id UUID PRIMARY KEY,
      user_id UUID NOT NULL,
      group_id UUID NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
      role VARCHAR(20) NOT NULL DEFAULT 'member' CHECK (role IN ('admin','member','viewer')),
      status VARCHAR(20) NOT NULL DEFAULT 'pending' CHECK (status IN ('pending','accepted','declined','left','removed')),
      invited_by_id UUID,
      invitation_message TEXT,
      is_active BOOLEAN NOT NULL DEFAULT TRUE,
      joined_at TIMESTAMPTZ,
      left_at TIMESTAMPTZ,
      notification_preferences JSONB NOT NULL DEFAULT '{}'::jsonb,
      created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
      updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
      CONSTRAINT uq_membership_user_group UNIQUE (user_id, group_id),
      CONSTRAINT check_active_status CHECK ((is_active = TRUE AND status = 'accepted') OR is_active = FALSE)
    )`);
    this.addSql(`CREATE INDEX idx_membership_group_active ON group_memberships (group_id, is_active)`);
    this.addSql(`CREATE INDEX idx_membership_user_active ON group_memberships (user_id, is_active)`);
  }
}
