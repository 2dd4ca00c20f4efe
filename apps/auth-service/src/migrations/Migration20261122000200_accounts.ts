import { Migration } from '@mikro-orm/migrations';

export class Migration20261122000200_accounts extends Migration {
  override async up(): Promise<void> {
    // filled by the accounts work
  }
}
