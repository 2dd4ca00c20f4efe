/**
 * The group list cache (ADR 16) over real HTTP against a real PostgreSQL, with two group-service
 * replicas on one database, as in a deployment: a list is answered from memory until it changes; a
 * change through a replica shows on its next read at once; a change anywhere else (the other
 * replica, SQL as an event handler or an operator would write it) reaches the cache through the
 * triggers' NOTIFY; a read that straddles a change is not kept; NOTIFYs missed while the LISTEN
 * connection was down leave nothing stale.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Pool } from 'pg';
import { loadConfig } from '@tally/config';
import { IdentityProjectionRepository } from '@tally/identity';
import { inTransaction } from '@tally/persistence';
import { ServiceRuntime, bootstrapHttpService } from '@tally/service-kit';
import { TestAccessTokens, createTestDatabase, dropTestDatabase, expectEventually, freePort, infraFromEnv, sleep } from '@tally/testing';
import { AppModule } from '../app.module';
import { GroupServiceConfig } from '../config/group.config';
import { migrations } from '../migrations';
import { entities } from '../runtime';
import { GroupListCache } from './group-list-cache';

const infra = infraFromEnv();
const run = randomBytes(4).toString('hex');
const dbName = `it_group_list_cache_${run}`;
const tokens = new TestAccessTokens(`k-${run}`);

interface Replica {
  runtime: ServiceRuntime<GroupServiceConfig>;
  app: NestFastifyApplication;
  base: string;
  cache: GroupListCache;
}

let pool: Pool;
let a: Replica;
let b: Replica;

async function replica(databaseUrl: string, name: string): Promise<Replica> {
  const port = await freePort();
  const config = loadConfig(GroupServiceConfig, {
    NODE_ENV: 'test', LOG_LEVEL: 'warn', PORT: String(port), DATABASE_URL: databaseUrl, DATABASE_POOL_MAX: '4',
    KAFKA_BROKERS: infra.kafkaBrokers, KAFKA_TOPIC_PREFIX: `it-glc-${run}-${name}.`,
  });
  const runtime = await ServiceRuntime.create({ name: 'group-service', config, entities, migrations, relay: false });
  const app = await bootstrapHttpService(runtime, AppModule.forRoot(runtime), { port, host: '127.0.0.1' });
  return { runtime, app, base: `http://127.0.0.1:${port}`, cache: app.get(GroupListCache) };
}

beforeAll(async () => {
  const databaseUrl = await createTestDatabase(infra.databaseUrl, dbName);
  a = await replica(databaseUrl, 'a');
  b = await replica(databaseUrl, 'b');
  pool = new Pool({ connectionString: databaseUrl, max: 2 });
  await inTransaction(a.runtime.orm, (em) => new IdentityProjectionRepository({}).upsertSigningKey(em, tokens.announcement(), new Date().toISOString()));
  await expectEventually(() => expect(a.cache.active && b.cache.active).toBe(true), { timeoutMs: 10_000, what: 'both replicas listening' });
});

afterAll(async () => {
  for (const r of [a, b]) {
    await r?.app.close();
    await r?.runtime.shutdown();
  }
  await pool?.end();
  await dropTestDatabase(infra.databaseUrl, dbName);
});

async function call(r: Replica, method: string, path: string, who: string, body?: unknown) {
  const headers: Record<string, string> = { authorization: `Bearer ${tokens.sign(who)}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${r.base}/api/v1/groups${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

/** The names in the user's first page of active groups, read through replica `r`. */
async function names(r: Replica, who: string): Promise<string[]> {
  const res = await call(r, 'GET', '', who);
  expect(res.status).toBe(200);
  return res.body.items.map((g: { name: string }) => g.name);
}

async function reads(r: Replica, result: 'hit' | 'miss' | 'off'): Promise<number> {
  const metric = await r.runtime.metrics.registry.getSingleMetric('group_list_cache_reads_total')!.get();
  return metric.values.find((v) => v.labels.result === result)?.value ?? 0;
}

async function newGroup(r: Replica, who: string, name: string): Promise<string> {
  const res = await call(r, 'POST', '', who, { name, currency: 'EUR' });
  expect(res.status).toBe(201);
  return res.body.id as string;
}

describe('the group list cache', () => {
  it('answers a repeated list from memory, and a change through the same replica shows on its next read at once', async () => {
    const ann = randomUUID();
    const id = await newGroup(a, ann, 'Flat');
    // Once the creation's own NOTIFY has come by (it drops what was read before it), reads are hits.
    await expectEventually(async () => {
      const hits = await reads(a, 'hit');
      expect(await names(a, ann)).toEqual(['Flat']);
      expect(await reads(a, 'hit')).toBe(hits + 1);
    }, { timeoutMs: 5000, intervalMs: 20 });
    const misses = await reads(a, 'miss');
    for (let i = 0; i < 5; i++) expect(await names(a, ann)).toEqual(['Flat']);
    expect(await reads(a, 'miss')).toBe(misses);

    // Read-your-writes, many times over: never the previous name, however soon the read follows.
    for (let i = 1; i <= 15; i++) {
      expect((await call(a, 'PATCH', `/${id}`, ann, { name: `Flat ${i}` })).status).toBe(200);
      expect(await names(a, ann)).toEqual([`Flat ${i}`]);
    }
    await newGroup(a, ann, 'Trip');
    expect(await names(a, ann)).toEqual(['Trip', `Flat 15`]);
  });

  it('drops everything it holds when a state-changing request is handled here, without waiting for the NOTIFY', async () => {
    const ann = randomUUID();
    const onlooker = randomUUID(); // no change touches this user: no NOTIFY will name them
    let loads = 0;
    const load = async () => ++loads;
    expect(await a.cache.read(onlooker, 'k', load)).toBe(1);
    expect(await a.cache.read(onlooker, 'k', load)).toBe(1); // kept
    expect((await call(a, 'GET', '', ann)).status).toBe(200); // a read changes nothing
    expect(await a.cache.read(onlooker, 'k', load)).toBe(1);
    await newGroup(a, ann, 'Cabin'); // handled by a: dropped before the 201 was sent
    expect(await a.cache.read(onlooker, 'k', load)).toBe(2);
    const refused = await call(a, 'POST', '', ann, { name: '', currency: 'EUR' }); // failed requests too
    expect(refused.status).toBe(400);
    expect(await a.cache.read(onlooker, 'k', load)).toBe(3);
  });

  it('drops a user\'s lists on a change made through the other replica, or by SQL, through the triggers\' NOTIFY', async () => {
    const ann = randomUUID();
    const bob = randomUUID();
    const id = await newGroup(b, ann, 'Ski');
    expect(await names(a, ann)).toEqual(['Ski']);
    expect(await names(a, bob)).toEqual([]); // cached: bob has no groups
    expect(await names(a, ann)).toEqual(['Ski']); // cached

    // Renamed through b: a hears of it.
    expect((await call(b, 'PATCH', `/${id}`, ann, { name: 'Ski 2027' })).status).toBe(200);
    await expectEventually(async () => expect(await names(a, ann)).toEqual(['Ski 2027']), { timeoutMs: 5000, intervalMs: 20 });

    // Totals moved by SQL, as the expense handlers move them: every member's list is dropped.
    await pool.query(`UPDATE groups SET total_expenses = total_expenses + 12.5, expense_count = expense_count + 1 WHERE id = $1`, [id]);
    await expectEventually(async () => {
      const res = await call(a, 'GET', '', ann);
      expect(res.body.items[0]).toMatchObject({ name: 'Ski 2027', totalExpenses: '12.50', expenseCount: 1 });
    }, { timeoutMs: 5000, intervalMs: 20 });

    // Bob added by SQL: his cached empty list is dropped; removed again: the group leaves it.
    await pool.query(
      `INSERT INTO group_memberships (id, user_id, group_id, role, status, is_active, joined_at) VALUES ($1, $2, $3, 'member', 'accepted', TRUE, now())`,
      [randomUUID(), bob, id],
    );
    await expectEventually(async () => expect(await names(a, bob)).toEqual(['Ski 2027']), { timeoutMs: 5000, intervalMs: 20 });
    expect((await call(a, 'GET', '', ann)).body.items[0].memberCount).toBe(2);
    await pool.query(`UPDATE group_memberships SET is_active = FALSE, status = 'left', left_at = now() WHERE group_id = $1 AND user_id = $2`, [id, bob]);
    await expectEventually(async () => expect(await names(a, bob)).toEqual([]), { timeoutMs: 5000, intervalMs: 20 });
  });

  it('does not keep a read that started before a change and finished after it', async () => {
    const cat = randomUUID();
    let release!: () => void;
    const slow = a.cache.read(cat, 'straddle', async () => {
      await new Promise<void>((r) => (release = r));
      return 'before the change';
    });
    a.cache.changed(cat); // the NOTIFY of a commit arrives while the read is in flight
    release();
    expect(await slow).toBe('before the change');
    let loads = 0;
    expect(await a.cache.read(cat, 'straddle', async () => `after the change ${++loads}`)).toBe('after the change 1');
    expect(await a.cache.read(cat, 'straddle', async () => `after the change ${++loads}`)).toBe('after the change 1'); // now kept
  });

  it('leaves nothing stale when NOTIFYs were missed while its LISTEN connection was down', async () => {
    const dan = randomUUID();
    const id = await newGroup(b, dan, 'Boat');
    await expectEventually(async () => expect(await names(a, dan)).toEqual(['Boat']), { timeoutMs: 5000, intervalMs: 20 });
    expect(await names(a, dan)).toEqual(['Boat']); // cached

    // Cut both replicas' LISTEN connections, change the group while nobody listens, wait for them to be back.
    await pool.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'group-list-cache-listener' AND datname = current_database()`);
    await pool.query(`UPDATE groups SET name = 'Boat (sold)' WHERE id = $1`, [id]);
    await expectEventually(() => expect(a.cache.active).toBe(false), { timeoutMs: 5000, intervalMs: 5 }).catch(() => undefined);
    await expectEventually(() => expect(a.cache.active && b.cache.active).toBe(true), { timeoutMs: 10_000, intervalMs: 20 });
    expect(await names(a, dan)).toEqual(['Boat (sold)']);
  });

  it('reads from the database while it is not listening', async () => {
    const eve = randomUUID();
    await newGroup(a, eve, 'Rent');
    const off = await reads(a, 'off');
    // Hold the listener down: terminate it again each time it comes back, for a moment.
    const until = Date.now() + 1500;
    let sawOff = false;
    while (Date.now() < until) {
      await pool.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'group-list-cache-listener' AND datname = current_database()`);
      if (!a.cache.active) {
        sawOff = true;
        await pool.query(`UPDATE groups SET description = $2 WHERE id IN (SELECT group_id FROM group_memberships WHERE user_id = $1)`, [eve, `d${Date.now()}`]);
        expect(await names(a, eve)).toEqual(['Rent']);
      }
      await sleep(20);
    }
    expect(sawOff).toBe(true);
    expect(await reads(a, 'off')).toBeGreaterThan(off);
    await expectEventually(() => expect(a.cache.active).toBe(true), { timeoutMs: 10_000, intervalMs: 20 });
  });
});
