import { Migration } from '@mikro-orm/migrations';

/**
 * Signing keys get the states of their whole life: `pending` (announced, not signing yet) and
 * `revoked` (verifies nothing) beside `active` and `retired`; when a key started signing and when it was revoked.
 */
export class Migration20261201000500_signing_key_states extends Migration {
  override async up(): Promise<void> {
    this.addSql(`ALTER TABLE signing_keys DROP CONSTRAINT IF EXISTS signing_keys_status_check`);
    this.addSql(`ALTER TABLE signing_keys ADD CONSTRAINT signing_keys_status_check CHECK (status IN ('pending','active','retired','revoked'))`);
    this.addSql(`ALTER TABLE signing_keys ADD COLUMN activated_at TIMESTAMPTZ, ADD COLUMN revoked_at TIMESTAMPTZ`);
    this.addSql(`UPDATE signing_keys SET activated_at = created_at WHERE status IN ('active','retired')`);
    // At most one key waits to sign, as at most one signs.
    this.addSql(`CREATE UNIQUE INDEX uq_signing_keys_one_pending ON signing_keys (status) WHERE status = 'pending'`);
  }
}
