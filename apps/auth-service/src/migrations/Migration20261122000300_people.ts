import { Migration } from '@mikro-orm/migrations';

export class Migration20261122000300_people extends Migration {
  override async up(): Promise<void> {
    // filled by the people work
  }
}
