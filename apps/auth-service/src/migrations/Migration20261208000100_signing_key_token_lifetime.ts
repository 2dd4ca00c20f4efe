import { Migration } from '@mikro-orm/migrations';

/**
 * Each signing key remembers the longest access-token lifetime it signs with (the largest
 * ACCESS_TOKEN_TTL_SECONDS of any replica that signed with it), published with the key so every
 * verifier keeps a retired key exactly as long as its tokens live. NULL: keys retired before this
 * (they verify for the configured lifetime, as before).
 */
export class Migration20261208000100_signing_key_token_lifetime extends Migration {
  override async up(): Promise<void> {
    this.addSql(`ALTER TABLE signing_keys ADD COLUMN token_lifetime_seconds INTEGER CHECK (token_lifetime_seconds > 0)`);
  }
}
