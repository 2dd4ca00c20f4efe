import { Migration } from '@mikro-orm/migrations';

/**
 * Tells every group-service replica whose group lists changed (ADR 16): on commit, PostgreSQL
 * delivers a NOTIFY on `tally_group_lists` naming the users, so each replica drops what it
 * cached for them. Triggers, not application code, so no writer (an HTTP request, an event
 * handler, a migration, an operator's SQL) can change a list without saying so.
 * - A membership row's user (both users if one were ever reassigned).
 * - Every member of a group whose row changed (name, totals, member count, archived, deleted): the
 *   ids comma-separated, or `*` (everyone) when they would not fit NOTIFY's 8000 bytes.
 * PostgreSQL folds identical payloads of one transaction into one.
 */
export class Migration20261209000100_group_list_notify extends Migration {
  override async up(): Promise<void> {
    this.addSql(`CREATE OR REPLACE FUNCTION notify_group_lists_membership() RETURNS TRIGGER AS $$
BEGIN
  IF TG_OP <> 'INSERT' THEN
    PERFORM pg_notify('tally_group_lists', OLD.user_id::text);
  END IF;
  IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND NEW.user_id IS DISTINCT FROM OLD.user_id) THEN
    PERFORM pg_notify('tally_group_lists', NEW.user_id::text);
  END IF;
  RETURN NULL;
END
$$ LANGUAGE plpgsql`);
    this.addSql(`CREATE TRIGGER trigger_notify_group_lists_membership AFTER INSERT OR UPDATE OR DELETE ON group_memberships
      FOR EACH ROW EXECUTE FUNCTION notify_group_lists_membership()`);
    this.addSql(`CREATE OR REPLACE FUNCTION notify_group_lists_group() RETURNS TRIGGER AS $$
DECLARE
  members text;
BEGIN
  SELECT string_agg(user_id::text, ',') INTO members FROM group_memberships WHERE group_id = OLD.id;
  IF members IS NULL THEN
    RETURN NULL;
  END IF;
  IF length(members) > 7900 THEN
    members := '*';
  END IF;
  PERFORM pg_notify('tally_group_lists', members);
  RETURN NULL;
END
$$ LANGUAGE plpgsql`);
    this.addSql(`CREATE TRIGGER trigger_notify_group_lists_group_update AFTER UPDATE ON groups
      FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION notify_group_lists_group()`);
    this.addSql(`CREATE TRIGGER trigger_notify_group_lists_group_delete AFTER DELETE ON groups
      FOR EACH ROW EXECUTE FUNCTION notify_group_lists_group()`);
  }
}
