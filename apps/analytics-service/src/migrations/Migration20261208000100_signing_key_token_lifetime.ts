import { Migration } from '@mikro-orm/migrations';
import { IDENTITY_PROJECTION_SQL_V3 } from '@tally/identity';

/** The signing-key projection keeps the access-token lifetime auth publishes with each key (how long a retired key verifies). */
export class Migration20261208000100_signing_key_token_lifetime extends Migration {
  override async up(): Promise<void> {
    for (const sql of IDENTITY_PROJECTION_SQL_V3) this.addSql(sql);
  }
}
