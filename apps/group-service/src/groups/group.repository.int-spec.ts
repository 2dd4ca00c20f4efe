/**
 * group-service's hand-written SQL and schema rules against real PostgreSQL, with the service's own
 * migrations: which groups a member sees and in which order (cursor pages, status filter, full-text
 * search), the member_count trigger under concurrent joins and leaves, the seed's check_active_status,
 * the one-pending-invitation rule, and the expiry sweep's query.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { MikroORM } from '@mikro-orm/postgresql';
import { freshEm, inTransaction, initOrm, runMigrations } from '@tally/persistence';
import { createTestDatabase, dropTestDatabase, infraFromEnv } from '@tally/testing';
import { InvitationRepository } from '../invitations/invitation.repository';
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
  pool = new Pool({ connectionString: url, max: 20 });
});

afterAll(async () => {
  await orm?.close(true);
  await pool?.end();
  await dropTestDatabase(infra.databaseUrl, dbName);
});

async function group(name: string, minutesAgo: number, opts: { active?: boolean; archived?: boolean; description?: string } = {}): Promise<string> {
  const id = randomUUID();
  await pool.query(
    `INSERT INTO groups (id, name, description, currency_id, currency, is_active, is_archived, archived_at, total_expenses, created_at)
     VALUES ($1, $2, $3, $4, 'EUR', $5, $6, CASE WHEN $6 THEN now() END, '12.50', now() - make_interval(mins => $7))`,
    [id, name, opts.description ?? null, randomUUID(), opts.active ?? true, opts.archived ?? false, minutesAgo],
  );
  return id;
}

async function member(groupId: string, userId: string, active = true, role = 'member'): Promise<string> {
  const id = randomUUID();
  await pool.query(`INSERT INTO group_memberships (id, user_id, group_id, role, status, is_active, joined_at) VALUES ($1, $2, $3, $4, $5, $6, now())`, [
    id, userId, groupId, role, active ? 'accepted' : 'left', active,
  ]);
  return id;
}

const memberCount = async (groupId: string) => (await pool.query('SELECT member_count FROM groups WHERE id = $1', [groupId])).rows[0].member_count;
const activeRows = async (groupId: string) =>
  Number((await pool.query('SELECT count(*) FROM group_memberships WHERE group_id = $1 AND is_active', [groupId])).rows[0].count);

describe('GroupRepository.findForMember (PostgreSQL)', () => {
  it('lists the groups of active memberships, newest first, by cursor, with the caller role', async () => {
    const ann = randomUUID();
    const bob = randomUUID();
    const [g1, g2, g3, deleted, left, bobs, archived] = [
      await group('oldest', 30), await group('middle', 20), await group('newest', 10), await group('closed', 5, { active: false }),
      await group('left', 1), await group('bobs', 2), await group('old trip', 40, { archived: true }),
    ];
    for (const g of [g1, g2, g3, deleted, archived]) await member(g, ann);
    await member(g2, bob, true, 'admin');
    await pool.query(`UPDATE group_memberships SET role = 'admin' WHERE group_id = $1 AND user_id = $2`, [g3, ann]);
    await member(left, ann, false);
    await member(bobs, bob);

    const all = await repo.findForMember(freshEm(orm), ann, { status: 'active', take: 10 });
    expect(all.map((r) => r.group.name)).toEqual(['newest', 'middle', 'oldest']);
    expect(all.map((r) => r.role)).toEqual(['admin', 'member', 'member']);
    expect(all[1].group).toMatchObject({ id: g2, memberCount: 2, totalExpenses: '12.500', isActive: true, currency: 'EUR' });
    expect(all[0].group.createdAt).toBeInstanceOf(Date);

    const after = { at: all[1].group.createdAt, id: all[1].group.id };
    expect((await repo.findForMember(freshEm(orm), ann, { status: 'active', after, take: 10 })).map((r) => r.group.name)).toEqual(['oldest']);
    expect((await repo.findForMember(freshEm(orm), ann, { status: 'archived', take: 10 })).map((r) => r.group.name)).toEqual(['old trip']);
    expect((await repo.findForMember(freshEm(orm), ann, { status: 'all', take: 10 })).map((r) => r.group.name)).toEqual(['newest', 'middle', 'oldest', 'old trip']);
    expect(await repo.findForMember(freshEm(orm), randomUUID(), { status: 'all', take: 10 })).toEqual([]);
  });

  it("searches the member's groups by name and description in full text (with the seed's GIN index)", async () => {
    const ann = randomUUID();
    const lisbon = await group('Lisbon', 3, { description: 'Surfing weekend with the climbing club' });
    const flat = await group('Flat 4B', 2, { description: 'Rent and groceries' });
    const notMine = await group('Climbing gym', 1);
    await member(lisbon, ann);
    await member(flat, ann);
    await member(notMine, randomUUID());
    const search = async (q: string) => (await repo.findForMember(freshEm(orm), ann, { status: 'all', q, take: 10 })).map((r) => r.group.name);
    expect(await search('climb')).toEqual(['Lisbon']);
    expect(await search('grocery')).toEqual(['Flat 4B']);
    expect(await search('lisbon OR rent')).toEqual(['Flat 4B', 'Lisbon']);
    expect(await search('tokyo')).toEqual([]);
    const plan = (await pool.query(
      `EXPLAIN SELECT id FROM groups WHERE to_tsvector('english', name || ' ' || COALESCE(description, '')) @@ websearch_to_tsquery('english', 'climb')`,
    )).rows.map((r) => r['QUERY PLAN']).join('\n');
    await pool.query('SET enable_seqscan = off');
    const forced = (await pool.query(
      `EXPLAIN SELECT id FROM groups WHERE to_tsvector('english', name || ' ' || COALESCE(description, '')) @@ websearch_to_tsquery('english', 'climb')`,
    )).rows.map((r) => r['QUERY PLAN']).join('\n');
    await pool.query('SET enable_seqscan = on');
    expect(plan + forced).toContain('idx_group_search');
  });
});

describe('GroupRepository.namesOf (PostgreSQL)', () => {
  it('names the existing groups among one or many ids, and not deleted or unknown ones', async () => {
    const a = await group('Alpha', 1);
    const b = await group('Beta', 1);
    const gone = await group('Gone', 1, { active: false });
    const em = freshEm(orm);
    expect(await repo.namesOf(em, [a])).toEqual(new Map([[a, 'Alpha']]));
    expect(await repo.namesOf(em, [a, b, a, gone, randomUUID()])).toEqual(new Map([[a, 'Alpha'], [b, 'Beta']]));
    expect(await repo.namesOf(em, [])).toEqual(new Map());
  });
});

describe('member_count (trigger) and check_active_status', () => {
  it('equals the active memberships after 40 concurrent joins and 15 concurrent leaves', async () => {
    const g = await group('busy', 1);
    const users = Array.from({ length: 40 }, () => randomUUID());
    await Promise.all(users.map((u) => member(g, u)));
    expect(await memberCount(g)).toBe(40);
    await Promise.all(users.slice(0, 15).map((u) =>
      pool.query(`UPDATE group_memberships SET status = 'left', is_active = FALSE, left_at = now() WHERE group_id = $1 AND user_id = $2`, [g, u])));
    expect(await memberCount(g)).toBe(25);
    expect(await activeRows(g)).toBe(25);
    // Deleting rows and leaving twice change nothing more than they should.
    await pool.query(`UPDATE group_memberships SET status = 'left', is_active = FALSE WHERE group_id = $1 AND user_id = $2`, [g, users[0]]);
    await pool.query(`DELETE FROM group_memberships WHERE group_id = $1 AND user_id = $2`, [g, users[20]]);
    expect(await memberCount(g)).toBe(24);
    expect(await activeRows(g)).toBe(24);
  });

  it('refuses an active membership that is not accepted, and a second row for one user and group', async () => {
    const g = await group('strict', 1);
    const u = randomUUID();
    await expect(pool.query(`INSERT INTO group_memberships (id, user_id, group_id, status, is_active) VALUES ($1, $2, $3, 'pending', TRUE)`, [randomUUID(), u, g]))
      .rejects.toThrow(/check_active_status/);
    await member(g, u);
    await expect(member(g, u)).rejects.toThrow(/uq_membership_user_group/);
    expect(await memberCount(g)).toBe(1);
  });
});

describe('group_invitations', () => {
  const invite = (g: string, email: string, expiresIn = '7 days', status = 'pending') =>
    pool.query(
      `INSERT INTO group_invitations (id, group_id, invited_by_id, email, status, is_expired, expires_at, created_at)
       VALUES ($1, $2, $3, $4, $5::varchar, $5::varchar = 'expired', now() + $6::interval, now() - interval '8 days') RETURNING id`,
      [randomUUID(), g, randomUUID(), email, status, expiresIn],
    );

  it('keeps one pending invitation per address and group', async () => {
    const g = await group('invites', 1);
    await invite(g, 'zoe@example.com');
    await expect(invite(g, 'zoe@example.com')).rejects.toThrow(/uq_invitation_pending_email/);
    await invite(g, 'zoe@example.com', '7 days', 'expired');
    await expect(pool.query(`INSERT INTO group_invitations (id, group_id, invited_by_id, email, phone_number, expires_at) VALUES ($1, $2, $3, 'a@b.co', '+4930123456', now() + interval '1 day')`, [randomUUID(), g, randomUUID()]))
      .rejects.toThrow(/check_invitation_address/);
  });

  it('the sweep expires exactly the overdue pending ones, once', async () => {
    const g = await group('sweep', 1);
    const overdue = (await invite(g, 'late@example.com', '-1 minute')).rows[0].id;
    const fresh = (await invite(g, 'fresh@example.com', '1 day')).rows[0].id;
    const invitations = new InvitationRepository();
    const first = await inTransaction(orm, (em) => invitations.expireDue(em, 100));
    expect(first.map((i) => i.id)).toContain(overdue);
    expect(first.map((i) => i.id)).not.toContain(fresh);
    expect(first.find((i) => i.id === overdue)).toMatchObject({ status: 'expired', isExpired: true });
    expect((await inTransaction(orm, (em) => invitations.expireDue(em, 100))).map((i) => i.id)).not.toContain(overdue);
    const rows = (await pool.query('SELECT id, status, is_expired FROM group_invitations WHERE group_id = $1 ORDER BY email', [g])).rows;
    expect(rows).toEqual([{ id: fresh, status: 'pending', is_expired: false }, { id: overdue, status: 'expired', is_expired: true }]);
  });

  it("lists a group's pending invitations without the overdue ones the sweep has not marked yet; all of them with status all", async () => {
    const g = await group('listing', 1);
    const overdue = (await invite(g, 'late@example.com', '-1 minute')).rows[0].id;
    const fresh = (await invite(g, 'fresh@example.com', '1 day')).rows[0].id;
    const invitations = new InvitationRepository();
    expect((await invitations.listForGroup(freshEm(orm), g, true, undefined, 10)).map((i) => i.id)).toEqual([fresh]);
    expect(new Set((await invitations.listForGroup(freshEm(orm), g, false, undefined, 10)).map((i) => i.id))).toEqual(new Set([fresh, overdue]));
  });
});
