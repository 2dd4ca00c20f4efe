import { Migration } from '@mikro-orm/migrations';

/**
 * The rest of the seed's Group domain: invitations, the activity feed, the full-text and membership
 * indexes, the member_count rule; plus what group-service needs beside the seed (docs/adr/0008):
 *
 * - `groups.currency`: the default currency's ISO 4217 code. `currency_id` stays, as the seed has
 *   it: the id every service derives from the code (`currencyId()` in @tally/contracts), so it
 *   matches expense-service's currencies without a call.
 * - `group_invitations.status`: pending / accepted / declined / revoked / expired; the seed's
 *   `is_accepted` and `is_expired` are kept and checked to agree with it. One pending invitation per
 *   address and group (partial unique indexes), so two admins inviting at once get one 201 and one 409.
 * - `member_balances`: each member's balance per currency in the group, projected from expense and
 *   payment events (expense issue); leaving and removal are refused while it is not zero.
 * - member_count: the seed's trigger recounts with a subquery, which under READ COMMITTED misses
 *   rows that concurrent transactions commit meanwhile (two joins at once could both write n+1).
 *   This trigger applies the change of each row (+1 when a row becomes active, −1 when it stops),
 *   under the group row's lock, so the count is exact under any concurrency; it handles DELETE too
 *   (the seed's reads NEW, which is null there).
 */
export class Migration20261202000100_group_domain extends Migration {
  override async up(): Promise<void> {
    this.addSql(`ALTER TABLE groups ADD COLUMN currency VARCHAR(3) NOT NULL DEFAULT 'USD' CHECK (currency ~ '^[A-Z]{3}$')`);
    this.addSql(`ALTER TABLE groups ALTER COLUMN currency DROP DEFAULT`);
    this.addSql(`ALTER TABLE groups ADD CONSTRAINT check_member_count CHECK (member_count >= 0)`);
    this.addSql(`ALTER TABLE groups ADD CONSTRAINT check_archived_at CHECK (is_archived = (archived_at IS NOT NULL))`);
    this.addSql(`ALTER TABLE groups ADD CONSTRAINT check_invite_code CHECK (invite_code IS NULL OR invite_code ~ '^[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{12}$')`);
    // The seed's idx_group_invite_code: the UNIQUE constraint's index, under the seed's name.
    this.addSql(`ALTER TABLE groups RENAME CONSTRAINT groups_invite_code_key TO idx_group_invite_code`);
    this.addSql(`CREATE INDEX idx_group_search ON groups USING gin (to_tsvector('english', name || ' ' || COALESCE(description, '')))`);
    this.addSql(`CREATE INDEX idx_group_member ON group_memberships (group_id, user_id, is_active)`);
    // The seed's idx_group_user_active is idx_membership_user_active again (user_id, is_active): not built twice.

    this.addSql(`CREATE OR REPLACE FUNCTION update_group_member_count() RETURNS TRIGGER AS $$
      BEGIN
        IF TG_OP = 'UPDATE' AND OLD.group_id = NEW.group_id AND OLD.is_active = NEW.is_active THEN
          RETURN NULL;
        END IF;
        IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.is_active THEN
          UPDATE groups SET member_count = member_count - 1 WHERE id = OLD.group_id;
        END IF;
        IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.is_active THEN
          UPDATE groups SET member_count = member_count + 1 WHERE id = NEW.group_id;
        END IF;
        RETURN NULL;
      END;
      $$ LANGUAGE plpgsql`);
    this.addSql(`CREATE TRIGGER trigger_update_member_count AFTER INSERT OR UPDATE OR DELETE ON group_memberships
      FOR EACH ROW EXECUTE FUNCTION update_group_member_count()`);
    this.addSql(`UPDATE groups g SET member_count = (SELECT count(*) FROM group_memberships m WHERE m.group_id = g.id AND m.is_active)`);

    this.addSql(`CREATE TABLE group_invitations (
      id UUID PRIMARY KEY,
      group_id UUID NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
      invited_by_id UUID NOT NULL,
      email VARCHAR(254),
      phone_number VARCHAR(17),
      message TEXT,
      status VARCHAR(10) NOT NULL DEFAULT 'pending' CHECK (status IN ('pending','accepted','declined','revoked','expired')),
      is_accepted BOOLEAN NOT NULL DEFAULT FALSE,
      is_expired BOOLEAN NOT NULL DEFAULT FALSE,
      accepted_by_id UUID,
      expires_at TIMESTAMPTZ NOT NULL,
      accepted_at TIMESTAMPTZ,
      responded_at TIMESTAMPTZ,
      created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
      updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
      CONSTRAINT check_invitation_address CHECK ((email IS NULL) <> (phone_number IS NULL)),
      CONSTRAINT check_invitation_email CHECK (email IS NULL OR email = lower(email)),
      CONSTRAINT check_invitation_accepted CHECK (is_accepted = (status = 'accepted') AND (status <> 'accepted' OR (accepted_by_id IS NOT NULL AND accepted_at IS NOT NULL))),
      CONSTRAINT check_invitation_expired CHECK (is_expired = (status = 'expired')),
      CONSTRAINT check_invitation_expiry CHECK (expires_at > created_at)
    )`);
    this.addSql(`CREATE INDEX idx_invitation_email ON group_invitations (email, is_accepted)`);
    this.addSql(`CREATE INDEX idx_invitation_group ON group_invitations (group_id, is_accepted)`);
    this.addSql(`CREATE UNIQUE INDEX uq_invitation_pending_email ON group_invitations (group_id, email) WHERE status = 'pending' AND email IS NOT NULL`);
    this.addSql(`CREATE UNIQUE INDEX uq_invitation_pending_phone ON group_invitations (group_id, phone_number) WHERE status = 'pending' AND phone_number IS NOT NULL`);
    this.addSql(`CREATE INDEX idx_invitation_pending_expiry ON group_invitations (expires_at) WHERE status = 'pending'`);

    this.addSql(`CREATE TABLE group_activities (
      id UUID PRIMARY KEY,
      group_id UUID NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
      user_id UUID NOT NULL,
      activity_type VARCHAR(20) NOT NULL,
      description TEXT NOT NULL,
      metadata JSONB NOT NULL DEFAULT '{}'::jsonb,
      created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
      updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
    )`);
    this.addSql(`CREATE INDEX idx_activity_group ON group_activities (group_id, created_at)`);
    this.addSql(`CREATE INDEX idx_activity_user_type ON group_activities (user_id, activity_type)`);
    this.addSql(`CREATE INDEX idx_activity_type ON group_activities (activity_type)`);

    this.addSql(`CREATE TABLE member_balances (
      group_id UUID NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
      user_id UUID NOT NULL,
      currency VARCHAR(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
      balance NUMERIC(15,2) NOT NULL DEFAULT 0,
      updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
      PRIMARY KEY (group_id, user_id, currency)
    )`);
  }
}
