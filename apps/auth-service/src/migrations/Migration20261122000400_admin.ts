import { Migration } from '@mikro-orm/migrations';

export class Migration20261122000400_admin extends Migration {
  override async up(): Promise<void> {
    // filled by the admin work
  }
}
