import { Migration } from '@mikro-orm/migrations';
import { IDENTITY_PROJECTION_SQL_V2 } from '@tally/identity';

/** The identity projections remember the time of the newest event each row reflects (older ones are ignored). */
export class Migration20261201000100_identity_projection_event_time extends Migration {
  override async up(): Promise<void> {
    for (const sql of IDENTITY_PROJECTION_SQL_V2) this.addSql(sql);
  }
}
