/**
 * Outbox/inbox retention against real PostgreSQL: old sent outbox rows and old inbox rows go,
 * unsent and recent rows stay, a backlog is pruned in bounded batches (one short transaction
 * each) within one pass, replicas running it at once do not both prune, and the timer survives
 * a failing pass.
 *
 * Every test has its own database and removes it afterwards.
 */
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { Pool } from 'pg';
import pino from 'pino';
import { Metrics, createLogger } from '@tally/observability';
import { createTestDatabase, dropTestDatabase, expectEventually, infraFromEnv, sleep } from '@tally/testing';
import { MessagingRetention, MessagingRetentionOptions, RETENTION_LOCK_KEY } from './retention';
import { MESSAGING_SCHEMA_SQL } from './schema.sql';

const infra = infraFromEnv();
const logger = createLogger('it-retention', process.env.TEST_LOG_LEVEL ?? 'silent');
const HOUR = 3600 * 1000;

class Harness {
  readonly id = randomBytes(4).toString('hex');
  readonly dbName = `it_retention_${this.id}`;
  dbUrl!: string;
  pool!: Pool;
  private readonly undo: (() => Promise<unknown>)[] = [];

  async open(): Promise<this> {
    this.dbUrl = await createTestDatabase(infra.databaseUrl, this.dbName);
    this.undo.push(() => dropTestDatabase(infra.databaseUrl, this.dbName));
    this.pool = this.newPool();
    for (const sql of MESSAGING_SCHEMA_SQL) await this.pool.query(sql);
    return this;
  }

  /** A pool of its own, as another replica would have. */
  newPool(): Pool {
    const pool = new Pool({ connectionString: this.dbUrl, max: 4 });
    pool.on('error', () => undefined);
    this.undo.push(() => pool.end());
    return pool;
  }

  retention(opts: Partial<MessagingRetentionOptions> = {}): MessagingRetention {
    const r = new MessagingRetention({ pool: this.pool, logger, outboxRetentionMs: HOUR, inboxRetentionMs: 2 * HOUR, ...opts });
    this.undo.push(() => r.stop());
    return r;
  }

  async close(): Promise<void> {
    const errors: unknown[] = [];
    for (const fn of this.undo.reverse()) await fn().catch((err) => errors.push(err));
    if (errors.length) throw errors[0];
  }

  /** `n` outbox rows, `sentAgo` before now (null: unsent), created `createdAgo` before now. */
  async outbox(n: number, sentAgo: string | null, createdAgo = sentAgo ?? '0 s', tag = 'x'): Promise<void> {
    await this.pool.query(
      `INSERT INTO outbox (id, topic, key, type, payload, created_at, sent_at)
       SELECT gen_random_uuid(), 'it.topic.v1', $1 || '-' || g, 'it.happened', '{}'::jsonb,
              now() - $2::interval, CASE WHEN $3::interval IS NULL THEN NULL ELSE now() - $3::interval END
         FROM generate_series(1, $4::int) g`,
      [tag, createdAgo, sentAgo, n],
    );
  }

  async inbox(n: number, processedAgo: string, consumer = 'it-consumer'): Promise<void> {
    await this.pool.query(
      `INSERT INTO inbox (consumer, event_id, topic, type, event_time, processed_at)
       SELECT $1, gen_random_uuid(), 'it.topic.v1', 'it.happened', now() - $2::interval, now() - $2::interval
         FROM generate_series(1, $3::int) g`,
      [consumer, processedAgo, n],
    );
  }

  async count(sql: string): Promise<number> {
    const { rows } = await this.pool.query<{ n: string }>(`SELECT count(*) AS n FROM ${sql}`);
    return Number(rows[0].n);
  }

  /** Advisory locks with our key held by anyone in this database. */
  lockHolders(): Promise<number> {
    return this.count(`pg_locks l JOIN pg_database d ON d.oid = l.database
      WHERE l.locktype = 'advisory' AND d.datname = '${this.dbName}' AND l.objid = ${RETENTION_LOCK_KEY} AND l.granted`);
  }

  /** Records every DELETE statement on outbox and inbox: rows it removed and its transaction. */
  async recordDeleteStatements(): Promise<void> {
    await this.pool.query(`CREATE TABLE it_deletes (tbl TEXT NOT NULL, n INT NOT NULL, txid BIGINT NOT NULL)`);
    await this.pool.query(`CREATE FUNCTION it_log_delete() RETURNS trigger AS $$
      BEGIN INSERT INTO it_deletes SELECT TG_TABLE_NAME, count(*), txid_current() FROM old_rows; RETURN NULL; END $$ LANGUAGE plpgsql`);
    for (const t of ['outbox', 'inbox']) {
      await this.pool.query(`CREATE TRIGGER it_log_delete AFTER DELETE ON ${t} REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION it_log_delete()`);
    }
  }
}

async function total(counter: { get(): Promise<{ values: { value: number; labels: Record<string, string | number> }[] }> }, table?: string): Promise<number> {
  return (await counter.get()).values.filter((v) => !table || v.labels.table === table).reduce((a, v) => a + v.value, 0);
}

let h: Harness;
beforeEach(async () => {
  h = await new Harness().open();
});
afterEach(async () => {
  await h?.close();
});

describe('MessagingRetention (PostgreSQL)', () => {
  it('deletes old sent outbox rows and old inbox rows; keeps unsent rows however old, and recent ones', async () => {
    await h.outbox(30, '3 hours', '3 hours', 'old-sent'); // go
    await h.outbox(5, '61 minutes', '5 hours', 'just-past'); // go
    await h.outbox(20, '10 minutes', '3 hours', 'recent-sent'); // stay: sent recently, although created long ago
    await h.outbox(7, null, '30 days', 'old-unsent'); // stay: never sent
    await h.outbox(4, null, '0 s', 'new-unsent'); // stay
    await h.inbox(40, '3 hours'); // go (retention 2 h)
    await h.inbox(9, '119 minutes'); // stay
    await h.inbox(11, '1 minute', 'other-consumer'); // stay

    const metrics = new Metrics('it-retention');
    const r = h.retention({ metrics });
    await expect(r.pruneOnce()).resolves.toEqual({ outbox: 35, inbox: 40 });

    const { rows } = await h.pool.query<{ tag: string; n: string }>(`SELECT split_part(key, '-', 1) || '-' || split_part(key, '-', 2) AS tag, count(*) AS n FROM outbox GROUP BY 1 ORDER BY 1`);
    expect(Object.fromEntries(rows.map((x) => [x.tag, Number(x.n)]))).toEqual({ 'new-unsent': 4, 'old-unsent': 7, 'recent-sent': 20 });
    expect(await h.count(`inbox WHERE processed_at < now() - interval '2 hours'`)).toBe(0);
    expect(await h.count('inbox')).toBe(20);
    expect(await total(metrics.registry.getSingleMetric('messaging_retention_deleted_total') as never, 'outbox')).toBe(35);
    expect(await total(metrics.registry.getSingleMetric('messaging_retention_deleted_total') as never, 'inbox')).toBe(40);

    // nothing more to do, and the lock was released
    await expect(r.pruneOnce()).resolves.toEqual({ outbox: 0, inbox: 0 });
    expect(await h.lockHolders()).toBe(0);
    // a second instance on the same Metrics does not register the counters twice
    expect(() => h.retention({ metrics })).not.toThrow();
  });

  it('prunes a backlog larger than batchSize in one pass, in bounded batches of one short transaction each', async () => {
    await h.recordDeleteStatements();
    await h.outbox(12_345, '2 days');
    await h.outbox(100, '1 minute', '1 minute', 'recent');
    await h.outbox(50, null, '2 days', 'unsent');
    await h.inbox(7_001, '3 days');
    await h.inbox(60, '1 minute');

    const r = h.retention({ batchSize: 1000, batchPauseMs: 0 });
    await expect(r.pruneOnce()).resolves.toEqual({ outbox: 12_345, inbox: 7_001 });
    expect(await h.count('outbox')).toBe(150);
    expect(await h.count('outbox WHERE sent_at IS NULL')).toBe(50);
    expect(await h.count('inbox')).toBe(60);

    const { rows } = await h.pool.query<{ tbl: string; n: number; txid: string }>('SELECT tbl, n, txid FROM it_deletes');
    for (const [tbl, expected] of [['outbox', 12_345], ['inbox', 7_001]] as const) {
      const mine = rows.filter((x) => x.tbl === tbl && x.n > 0);
      expect(mine.reduce((a, x) => a + x.n, 0)).toBe(expected);
      expect(Math.max(...mine.map((x) => x.n))).toBeLessThanOrEqual(1000);
      expect(mine).toHaveLength(Math.ceil(expected / 1000));
    }
    // every statement committed on its own: no transaction spans two batches
    expect(new Set(rows.map((x) => x.txid)).size).toBe(rows.length);
  });

  it('does nothing while another session holds the lock, and prunes once it is released', async () => {
    await h.outbox(10, '2 hours');
    await h.inbox(10, '3 hours');
    const other = await h.pool.connect();
    try {
      const { rows } = await other.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1) AS ok', [RETENTION_LOCK_KEY]);
      expect(rows[0].ok).toBe(true);
      const r = h.retention();
      await expect(r.pruneOnce()).resolves.toEqual({ outbox: 0, inbox: 0 });
      expect(await h.count('outbox')).toBe(10);
      expect(await h.count('inbox')).toBe(10);
      await other.query('SELECT pg_advisory_unlock($1)', [RETENTION_LOCK_KEY]);
      await expect(r.pruneOnce()).resolves.toEqual({ outbox: 10, inbox: 10 });
    } finally {
      other.release();
    }
  });

  it('two replicas pruning at once do not both prune: one gets zeros, or together exactly the total', async () => {
    await h.outbox(6_000, '2 days');
    await h.inbox(4_000, '3 days');
    await h.outbox(25, null, '2 days', 'unsent');
    // separate pools, as two replicas have; small batches with pauses so the passes surely overlap
    const a = h.retention({ pool: h.newPool(), batchSize: 500, batchPauseMs: 20 });
    const b = h.retention({ pool: h.newPool(), batchSize: 500, batchPauseMs: 20 });
    for (let round = 0; round < 3; round++) {
      const [ra, rb] = await Promise.all([a.pruneOnce(), b.pruneOnce()]);
      if (round === 0) {
        expect(ra.outbox + rb.outbox).toBe(6_000);
        expect(ra.inbox + rb.inbox).toBe(4_000);
        // they overlapped (24+ batches, 20 ms apart), so the second one found the lock taken
        expect([ra, rb]).toContainEqual({ outbox: 0, inbox: 0 });
      } else {
        expect([ra, rb]).toEqual([{ outbox: 0, inbox: 0 }, { outbox: 0, inbox: 0 }]);
      }
    }
    expect(await h.count('outbox')).toBe(25);
    expect(await h.count('inbox')).toBe(0);
    expect(await h.lockHolders()).toBe(0);
  });

  it('runs on its timer, logs a failing pass without throwing, keeps going, and stop() awaits the pass in progress', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (err: unknown) => unhandled.push(err);
    process.on('unhandledRejection', onUnhandled);
    process.on('uncaughtException', onUnhandled);
    try {
      const lines: { level: number; msg: string }[] = [];
      const sink = new Writable({
        write(chunk: Buffer, _enc, cb) {
          lines.push(JSON.parse(chunk.toString()));
          cb();
        },
      });
      const captured = pino({ level: 'info' }, sink);
      const metrics = new Metrics('it-retention-timer');
      const failures = () => total(metrics.registry.getSingleMetric('messaging_retention_failures_total') as never);

      // the inbox is missing: every pass fails
      await h.pool.query('ALTER TABLE inbox RENAME TO inbox_away');
      await h.outbox(50, '2 hours');
      const r = h.retention({ logger: captured, metrics, intervalMs: 100, firstPassDelayMs: 0 });
      r.start();
      await expectEventually(async () => expect(await failures()).toBeGreaterThanOrEqual(2), { timeoutMs: 10000, intervalMs: 50, what: 'two failed passes' });
      expect(lines.some((l) => l.level === 40 && /retention pass failed/.test(l.msg))).toBe(true);
      expect(await h.lockHolders()).toBe(0); // a failed pass released its lock

      // the table is back: the next pass succeeds
      await h.pool.query('ALTER TABLE inbox_away RENAME TO inbox');
      await h.inbox(30, '3 hours');
      await expectEventually(async () => expect(await h.count('outbox') + (await h.count('inbox'))).toBe(0), { timeoutMs: 10000, intervalMs: 50, what: 'the timer to prune' });
      expect(lines.some((l) => l.level === 30 && /old rows deleted/.test(l.msg))).toBe(true);
      await r.stop();

      // stop() during a long pass: it stops after the current batch and resolves only once the pass is over
      await h.outbox(5_000, '2 hours');
      const slow = h.retention({ intervalMs: 60_000, firstPassDelayMs: 0, batchSize: 100, batchPauseMs: 50 });
      slow.start();
      await expectEventually(async () => expect(await h.count('outbox')).toBeLessThan(5_000), { timeoutMs: 10000, intervalMs: 20, what: 'the pass to start' });
      await slow.stop();
      const left = await h.count('outbox');
      expect(left).toBeGreaterThan(0);
      expect(await h.lockHolders()).toBe(0);
      await sleep(300);
      expect(await h.count('outbox')).toBe(left); // nothing runs after stop()
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
      process.off('uncaughtException', onUnhandled);
    }
  });

  it('refuses a retention that is not a positive number', () => {
    expect(() => new MessagingRetention({ pool: h.pool, logger, inboxRetentionMs: 0 })).toThrow(/inboxRetentionMs/);
    expect(() => new MessagingRetention({ pool: h.pool, logger, outboxRetentionMs: Number.NaN })).toThrow(/outboxRetentionMs/);
  });
});
