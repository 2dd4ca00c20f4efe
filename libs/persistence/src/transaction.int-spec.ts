import { Entity, PrimaryKey, Property } from '@mikro-orm/core';
import { Migration } from '@mikro-orm/migrations';
import { MikroORM } from '@mikro-orm/postgresql';
import { createTestDatabase, dropTestDatabase, infraFromEnv } from '@tally/testing';
import { initOrm, runMigrations } from './orm';
import { freshEm, inTransaction } from './transaction';

@Entity({ tableName: 'notes' })
class Note {
  @PrimaryKey({ type: 'integer' }) id!: number;
  @Property({ type: 'string' }) text!: string;
}

class Migration1_notes extends Migration {
  override async up(): Promise<void> {
    this.addSql('CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT NOT NULL)');
  }
}

describe('inTransaction', () => {
  const infra = infraFromEnv();
  const dbName = `tally_it_trx_${Date.now().toString(36)}`;
  let orm: MikroORM;

  beforeAll(async () => {
    const url = await createTestDatabase(infra.databaseUrl, dbName);
    orm = await initOrm({ databaseUrl: url, entities: [Note], migrations: [{ name: 'Migration1_notes', class: Migration1_notes }], poolMax: 2 });
    await runMigrations(orm);
  });
  afterAll(async () => {
    await orm?.close(true);
    await dropTestDatabase(infra.databaseUrl, dbName);
  });

  const count = async () => (await freshEm(orm).getConnection().execute<{ n: number }[]>('SELECT count(*)::int AS n FROM notes'))[0].n;

  it('commits what fn did when it resolves, and returns its result', async () => {
    const result = await inTransaction(orm, async (em) => {
      expect(em.getTransactionContext()).toBeDefined();
      await em.persist(Object.assign(new Note(), { id: 1, text: 'kept' })).flush();
      return 'done';
    });
    expect(result).toBe('done');
    expect(await count()).toBe(1);
  });

  it('rolls everything back when fn throws, and rethrows', async () => {
    await expect(
      inTransaction(orm, async (em) => {
        await em.persist(Object.assign(new Note(), { id: 2, text: 'lost' })).flush();
        await em.getConnection().execute('INSERT INTO notes (id, text) VALUES (3, ?)', ['lost too'], 'run', em.getTransactionContext());
        throw new Error('changed my mind');
      }),
    ).rejects.toThrow('changed my mind');
    expect(await count()).toBe(1);
  });

  it('gives each call its own identity map', async () => {
    const seen: Note[] = [];
    await inTransaction(orm, async (em) => void seen.push((await em.findOneOrFail(Note, { id: 1 }))));
    await inTransaction(orm, async (em) => void seen.push((await em.findOneOrFail(Note, { id: 1 }))));
    expect(seen[0]).not.toBe(seen[1]);
    expect(freshEm(orm)).not.toBe(freshEm(orm));
    expect(freshEm(orm).getTransactionContext()).toBeUndefined();
  });
});
