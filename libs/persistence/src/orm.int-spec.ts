import { Migration } from '@mikro-orm/migrations';
import { Entity, PrimaryKey } from '@mikro-orm/core';
import { Client } from 'pg';
import { createTestDatabase, dropTestDatabase, infraFromEnv } from '@tally/testing';
import { initOrm, runMigrations } from './orm';

@Entity({ tableName: 'widgets' })
class Widget {
  @PrimaryKey({ type: 'integer' }) id!: number;
}

class Migration1_widgets extends Migration {
  override async up(): Promise<void> {
    // Not idempotent on purpose: a second application would fail.
    this.addSql('CREATE TABLE widgets (id INTEGER PRIMARY KEY)');
    this.addSql('SELECT pg_sleep(0.5)');
  }
}
class Migration2_more extends Migration {
  override async up(): Promise<void> {
    this.addSql('ALTER TABLE widgets ADD COLUMN name TEXT');
  }
}
const migrations = [
  { name: 'Migration1_widgets', class: Migration1_widgets },
  { name: 'Migration2_more', class: Migration2_more },
];

describe('runMigrations', () => {
  const infra = infraFromEnv();
  const dbName = `tally_it_migrate_${Date.now().toString(36)}`;
  let url: string;

  beforeAll(async () => {
    url = await createTestDatabase(infra.databaseUrl, dbName);
  });
  afterAll(async () => {
    await dropTestDatabase(infra.databaseUrl, dbName);
  });

  it('applies each migration once when several replicas start together', async () => {
    const orms = await Promise.all([1, 2, 3].map(() => initOrm({ databaseUrl: url, entities: [Widget], migrations })));
    try {
      const results = await Promise.all(orms.map((orm) => runMigrations(orm)));
      // Exactly one replica applied both; the others found nothing to do.
      expect(results.map((r) => r.length).sort()).toEqual([0, 0, 2]);
      const c = new Client({ connectionString: url });
      await c.connect();
      const applied = await c.query('SELECT name FROM mikro_orm_migrations ORDER BY id');
      const cols = await c.query(`SELECT column_name FROM information_schema.columns WHERE table_name = 'widgets' ORDER BY column_name`);
      await c.end();
      expect(applied.rows.map((r) => r.name)).toEqual(['Migration1_widgets', 'Migration2_more']);
      expect(cols.rows.map((r) => r.column_name)).toEqual(['id', 'name']);
      // Running again later is a no-op.
      expect(await runMigrations(orms[0])).toEqual([]);
    } finally {
      await Promise.all(orms.map((o) => o.close(true)));
    }
  });
});
