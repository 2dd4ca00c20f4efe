/**
 * expense-service's reference data and projections against real PostgreSQL, with its own migrations:
 * the seeded currencies and category tree, rate history, and the group, membership and friendship
 * projections (older events never roll them back).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { MikroORM } from '@mikro-orm/postgresql';
import { CURRENCIES, currencyId } from '@tally/contracts';
import { inTransaction, initOrm, runMigrations, freshEm } from '@tally/persistence';
import { FriendshipProjectionRepository, MembershipProjectionRepository } from '@tally/projections';
import { createTestDatabase, dropTestDatabase, infraFromEnv } from '@tally/testing';
import { DEFAULT_CATEGORIES, categoryId } from '../categories/categories.data';
import { CategoryRepository } from '../categories/category.repository';
import { CategoryService } from '../categories/category.service';
import { GroupProjectionRepository } from '../groups/group-projection.repository';
import { migrations } from '../migrations';
import { entities } from '../runtime';
import { CurrencyRepository } from './currency.repository';
import { CurrencyService } from './currency.service';

const infra = infraFromEnv();
const dbName = `it_expense_ref_${randomBytes(4).toString('hex')}`;
let orm: MikroORM;
let pool: Pool;

beforeAll(async () => {
  const url = await createTestDatabase(infra.databaseUrl, dbName);
  orm = await initOrm({ databaseUrl: url, entities, migrations, poolMax: 3 });
  await runMigrations(orm);
  pool = new Pool({ connectionString: url, max: 2 });
});

afterAll(async () => {
  await orm?.close(true);
  await pool?.end();
  await dropTestDatabase(infra.databaseUrl, dbName);
});

const admin = { id: randomUUID(), role: 'admin' };

describe('currencies', () => {
  const service = () => new CurrencyService(orm, new CurrencyRepository());

  it('are every ISO 4217 currency of the list, with ISO minor units and the id every service derives', async () => {
    const { items } = await service().list();
    expect(items).toHaveLength(CURRENCIES.length);
    expect(items.find((c) => c.code === 'JPY')).toMatchObject({ decimalPlaces: 0, symbol: '¥', exchangeRateToUsd: null });
    expect(items.find((c) => c.code === 'BHD')).toMatchObject({ decimalPlaces: 3 });
    expect(items.find((c) => c.code === 'USD')).toMatchObject({ decimalPlaces: 2, exchangeRateToUsd: '1.0000000000' });
    const { rows } = await pool.query(`SELECT id FROM currencies WHERE code = 'EUR'`);
    expect(rows[0].id).toBe(currencyId('EUR'));
  });

  it('keep every rate with its date; the current one is the latest date, exactly as given', async () => {
    await service().setRate(admin, 'EUR', '1.0845123456', '2026-11-02');
    const older = await service().setRate(admin, 'EUR', '1.0700000000', '2026-10-01');
    expect(older).toMatchObject({ exchangeRateToUsd: '1.0845123456', rateDate: '2026-11-02' });
    const page = await service().rates('EUR', { limit: 10 });
    expect(page.items.map((r) => [r.rateToUsd, r.date, r.source])).toEqual([
      ['1.0700000000', '2026-10-01', 'api'], ['1.0845123456', '2026-11-02', 'api'],
    ]);
  });

  it('refuses a rate from anyone but an admin, a future date, and a USD rate other than 1; nothing changes', async () => {
    await expect(service().setRate({ id: randomUUID(), role: 'user' }, 'GBP', '1.27', '2026-11-02')).rejects.toMatchObject({ code: 'ADMIN_REQUIRED' });
    await expect(service().setRate(admin, 'GBP', '1.27', '2999-01-01')).rejects.toMatchObject({ code: 'INVALID_RATE' });
    await expect(service().setRate(admin, 'USD', '1.01', '2026-11-02')).rejects.toMatchObject({ code: 'INVALID_RATE' });
    await expect(service().setRate(admin, 'XYZ', '1.01', '2026-11-02')).rejects.toMatchObject({ code: 'CURRENCY_NOT_FOUND' });
    expect((await service().get('GBP')).exchangeRateToUsd).toBeNull();
    expect((await pool.query(`SELECT count(*)::int AS n FROM currency_rates r JOIN currencies c ON c.id = r.currency_id WHERE c.code IN ('GBP', 'USD')`)).rows[0].n).toBe(1);
  });
});

describe('rates import', () => {
  const service = () => new CurrencyService(orm, new CurrencyRepository());

  it('records every rate of a file, in one go, as the import source', async () => {
    const res = await service().importRates(admin, 'code,rate,date\nCHF,1.1300000000,2026-11-27\nchf,1.1350,2026-11-28\nJPY,0.0066,2026-11-28\n');
    expect(res).toEqual({ imported: 3, currencies: ['CHF', 'JPY'] });
    expect(await service().get('CHF')).toMatchObject({ exchangeRateToUsd: '1.1350000000', rateDate: '2026-11-28' });
    expect((await service().rates('CHF', { limit: 10 })).items.map((r) => [r.rateToUsd, r.source])).toEqual([['1.1350000000', 'import'], ['1.1300000000', 'import']]);
  });

  it('refuses a whole file for one bad line, naming it, and records nothing', async () => {
    const before = (await pool.query(`SELECT count(*)::int AS n FROM currency_rates`)).rows[0].n;
    for (const [csv, line] of [
      ['code,rate,date\nNOK,0.09,2026-11-28\nXYZ,1,2026-11-28', 'csv line 3'],
      ['code,rate,date\nNOK,-0.09,2026-11-28', 'csv line 2'],
      ['code,rate,date\nNOK,0.09,2026-02-30', 'csv line 2'],
      ['code,rate,date\nNOK,0.09,2999-01-01', 'csv line 2'],
      ['code,rate,date\nUSD,1.01,2026-11-28', 'csv line 2'],
      ['rate,code,date\n0.09,NOK,2026-11-28', 'csv'],
      ['code,rate,date\nNOK,"0.09', 'csv'],
      ['code,rate,date\n', 'csv'],
    ]) {
      const err = await service().importRates(admin, csv).catch((e) => e);
      expect({ csv, code: err.code, field: err.extra?.errors?.[0]?.field }).toEqual({ csv, code: 'INVALID_RATES_FILE', field: line });
    }
    await expect(service().importRates({ id: randomUUID(), role: 'user' }, 'code,rate,date\nNOK,0.09,2026-11-28')).rejects.toMatchObject({ code: 'ADMIN_REQUIRED' });
    expect((await pool.query(`SELECT count(*)::int AS n FROM currency_rates`)).rows[0].n).toBe(before);
    expect((await service().get('NOK')).exchangeRateToUsd).toBeNull();
  });
});

describe('categories', () => {
  it('seed the default tree, parents before children, every child under an existing parent', async () => {
    const { items } = await new CategoryService(orm, new CategoryRepository()).list(randomUUID());
    expect(items).toHaveLength(DEFAULT_CATEGORIES.length);
    const seen = new Set<string>();
    for (const c of items) {
      if (c.parentId) expect(seen.has(c.parentId)).toBe(true);
      seen.add(c.id);
    }
    const groceries = items.find((c) => c.slug === 'groceries')!;
    expect(groceries).toMatchObject({ id: categoryId('groceries'), parentId: categoryId('food-and-drink'), isDefault: true, type: 'expense', isOwn: false });
    const withChildren = await new CategoryRepository().withDescendants(freshEm(orm), categoryId('food-and-drink'));
    expect(withChildren.sort()).toEqual(['food-and-drink', 'groceries', 'restaurants', 'coffee', 'bars'].map(categoryId).sort());
  });

  it('keep shared names unique but let each user have their own of the same name', async () => {
    await expect(pool.query(`INSERT INTO categories (id, name, slug) VALUES ($1, 'Groceries', 'groceries-2')`, [randomUUID()])).rejects.toThrow(/idx_category_name/);
    const u = randomUUID();
    await pool.query(`INSERT INTO categories (id, name, slug, user_id, category_type) VALUES ($1, 'Groceries', 'groceries', $2, 'expense')`, [randomUUID(), u]);
    await expect(pool.query(`INSERT INTO categories (id, name, slug, user_id) VALUES ($1, 'Groceries', 'g', $2)`, [randomUUID(), u])).rejects.toThrow(/uq_category_user_name/);
    await expect(pool.query(`INSERT INTO categories (id, name, slug, user_id, is_default) VALUES ($1, 'Mine', 'mine', $2, TRUE)`, [randomUUID(), u])).rejects.toThrow(/check_default_is_shared/);
  });
});

describe('projections', () => {
  const t = (s: number) => new Date(Date.UTC(2026, 11, 1, 10, 0, s)).toISOString();
  const groups = new GroupProjectionRepository();
  const members = new MembershipProjectionRepository();

  it('follow groups and memberships, and ignore an older event that arrives late', async () => {
    const g = randomUUID();
    const u = randomUUID();
    const m = randomUUID();
    const group = { groupId: g, name: 'Flat', description: null, groupType: 'home' as const, image: null, currency: 'EUR', isPrivate: false, isArchived: false, isActive: true, memberCount: 1, byUserId: u, at: t(0) };
    const member = { membershipId: m, groupId: g, userId: u, role: 'member' as const, status: 'accepted' as const, isActive: true, byUserId: u, at: t(1) };
    await inTransaction(orm, async (em) => {
      await groups.upsertGroup(em, group, t(0));
      await members.upsertMember(em, member, t(1));
      await members.upsertMember(em, { ...member, status: 'left', isActive: false }, t(5));
      await members.upsertMember(em, { ...member, role: 'admin' }, t(3)); // older than "left": ignored
      await groups.upsertGroup(em, { ...group, isArchived: true }, t(6));
    });
    expect(await groups.find(freshEm(orm), g, u)).toEqual({
      groupId: g, groupName: 'Flat', currency: 'EUR', groupActive: true, groupArchived: true, requiresApproval: false, simplifyDebts: true, role: 'member', memberActive: false,
    });
    expect(await members.activeMembers(freshEm(orm), g)).toEqual([]);
    expect(await members.find(freshEm(orm), g, u)).toEqual({ role: 'member', isActive: false });
    expect(await members.find(freshEm(orm), g, randomUUID())).toBeNull();
    expect(await groups.find(freshEm(orm), randomUUID(), u)).toBeNull();
  });

  it('know who are friends now', async () => {
    const friendships = new FriendshipProjectionRepository();
    const [a, b] = [randomUUID(), randomUUID()];
    const f = { friendshipId: randomUUID(), fromUserId: b, toUserId: a, status: 'pending' as const, byUserId: b, message: null, at: t(0) };
    await inTransaction(orm, (em) => friendships.apply(em, f, t(0)));
    expect(await friendships.areFriends(freshEm(orm), a, b)).toBe(false);
    await inTransaction(orm, (em) => friendships.apply(em, { ...f, status: 'accepted' }, t(2)));
    expect(await friendships.areFriends(freshEm(orm), a, b)).toBe(true);
    await inTransaction(orm, (em) => friendships.apply(em, { ...f, status: 'pending' }, t(1))); // late, older
    expect(await friendships.areFriends(freshEm(orm), b, a)).toBe(true);
    await inTransaction(orm, (em) => friendships.apply(em, { ...f, status: 'removed' }, t(3)));
    expect(await friendships.areFriends(freshEm(orm), a, b)).toBe(false);
  });
});
