/**
 * GroupRepository's hand-written list query against real PostgreSQL, with the schema of group-service's
 * migrations: which groups a member sees, in which order, and the total beside each page (one query;
 * a second only for a page past the end).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { MikroORM } from '@mikro-orm/postgresql';
import { freshEm, initOrm, runMigrations } from '@tally/persistence';
import { createTestDatabase, dropTestDatabase, infraFromEnv } from '@tally/testing';
import { entities } from '../runtime';
import { migrations } from '../migrations';
import { GroupRepository } from './group.repository';

const infra = infraFromEnv();
const dbName = `it_groups_${randomBytes(4).toString('hex')}`;
let orm: MikroORM;
let pool: Pool;
const repo = new GroupRepository();

beforeAll(async () => {
  const url = await createTestDatabase(infra.databaseUrl, dbName);
  orm = await initOrm({ databaseUrl: url, entities, migrations, poolMax: 2 });
  await runMigrations(orm);
  pool = new Pool({ connectionString: url, max: 2 });
});

afterAll(async () => {
  await orm?.close(true);
  await pool?.end();
  await dropTestDatabase(infra.databaseUrl, dbName);
});

async function group(name: string, minutesAgo: number, opts: { active?: boolean } = {}): Promise<string> {
  const id = randomUUID();
  await pool.query(
    `INSERT INTO groups (id, name, currency_id, is_active, member_count, total_expenses, created_at) VALUES ($1, $2, $3, $4, 2, '12.50', now() - make_interval(mins => $5))`,
    [id, name, randomUUID(), opts.active ?? true, minutesAgo],
  );
  return id;
}

async function member(groupId: string, userId: string, active = true): Promise<void> {
  await pool.query(`INSERT INTO group_memberships (id, user_id, group_id, status, is_active) VALUES ($1, $2, $3, $4, $5)`, [
    randomUUID(), userId, groupId, active ? 'accepted' : 'left', active,
  ]);
}

describe('GroupRepository.findForMember (PostgreSQL)', () => {
  it('lists the active groups of active memberships, newest first, with the total beside each page', async () => {
    const ann = randomUUID();
    const bob = randomUUID();
    const [g1, g2, g3, inactive, left, bobs] = [
      await group('oldest', 30), await group('middle', 20), await group('newest', 10), await group('closed', 5, { active: false }),
      await group('left', 1), await group('bobs', 2),
    ];
    for (const g of [g1, g2, g3, inactive]) await member(g, ann);
    await member(left, ann, false);
    await member(bobs, bob);

    const [all, total] = await repo.findForMember(freshEm(orm), ann, 10, 0);
    expect(all.map((g) => g.name)).toEqual(['newest', 'middle', 'oldest']);
    expect(total).toBe(3);
    expect(all[0]).toMatchObject({ id: g3, memberCount: 2, totalExpenses: '12.50', isActive: true });
    expect(all[0].createdAt).toBeInstanceOf(Date);

    const [page2, total2] = await repo.findForMember(freshEm(orm), ann, 2, 2);
    expect(page2.map((g) => g.name)).toEqual(['oldest']);
    expect(total2).toBe(3);

    // A page past the end still says how many there are.
    expect(await repo.findForMember(freshEm(orm), ann, 2, 10)).toEqual([[], 3]);
    // Nobody's groups: nothing.
    expect(await repo.findForMember(freshEm(orm), randomUUID(), 10, 0)).toEqual([[], 0]);
  });
});
