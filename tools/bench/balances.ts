/**
 * `node -r @swc-node/register tools/bench/balances.ts [--expenses 100000] [--members 8] [--runs 5]` (or `npm run bench:balances`)
 *
 * Group balances over a large group: a throwaway database with expense-service's own migrations, one
 * group of `--members` members with `--expenses` expenses (two currencies, several payers on some,
 * every share exact: inserted in SQL, as expense-service stores them), then BalanceService.group — the
 * code behind `GET /api/v1/balances/groups/:id` — timed `--runs` times (median and max printed beside
 * the target: well under a second). Checks on the way that each currency's balances sum to zero and
 * equal a direct SQL sum. Needs PostgreSQL: DATABASE_URL (a server URL), default the local one of infra/up.sh.
 */
import { performance } from 'node:perf_hooks';
import { randomBytes, randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { currencyId } from '@tally/contracts';
import { freshEm, inTransaction, initOrm, runMigrations } from '@tally/persistence';
import { MembershipProjectionRepository } from '@tally/projections';
import { createTestDatabase, dropTestDatabase } from '@tally/testing';
import { BalanceRepository } from '../../apps/expense-service/src/balances/balance.repository';
import { BalanceService } from '../../apps/expense-service/src/balances/balance.service';
import { CurrencyRepository } from '../../apps/expense-service/src/currencies/currency.repository';
import { GroupProjectionRepository } from '../../apps/expense-service/src/groups/group-projection.repository';
import { migrations } from '../../apps/expense-service/src/migrations';
import { entities } from '../../apps/expense-service/src/runtime';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isInteger(v) || v < 1) throw new Error(`--${name} must be a positive integer`);
  return v;
}

async function main(): Promise<void> {
  const expenses = arg('expenses', 100_000);
  const members = arg('members', 8);
  const runs = arg('runs', 5);
  // A server URL (its `postgres` database); the bench makes and drops its own database there.
  const serverUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const db = `bench_balances_${randomBytes(4).toString('hex')}`;
  const url = await createTestDatabase(serverUrl, db);
  const orm = await initOrm({ databaseUrl: url, entities, migrations, poolMax: 2 });
  const pool = new Pool({ connectionString: url, max: 2 });
  try {
    await runMigrations(orm);
    const groupId = randomUUID();
    const users = Array.from({ length: members }, () => randomUUID()).sort();
    const projection = new GroupProjectionRepository();
    await inTransaction(orm, async (em) => {
      await projection.upsertGroup(em, {
        groupId, name: 'Bench', description: null, groupType: 'trip', image: null, currency: 'EUR', isPrivate: false, isArchived: false, isActive: true,
        memberCount: members, byUserId: users[0], at: new Date().toISOString(),
      }, new Date().toISOString());
      for (const u of users) {
        await new MembershipProjectionRepository().upsertMember(em, { membershipId: randomUUID(), groupId, userId: u, role: 'member', status: 'accepted', isActive: true, byUserId: u, at: new Date().toISOString() }, new Date().toISOString());
      }
    });

    // Expenses i = 1..N: EUR (amount i cents + 100.00) or JPY (every 5th), paid by user i % m (and half by the next on every 3rd),
    // shared by all members: the amount in minor units split floor/ceil exactly (the first `rem` users get one more).
    const t0 = performance.now();
    await pool.query(`CREATE TEMP TABLE u (idx int PRIMARY KEY, id uuid)`);
    await pool.query(`INSERT INTO u SELECT ordinality - 1, id FROM unnest($1::uuid[]) WITH ORDINALITY AS t(id)`, [users]);
    await pool.query(
      `INSERT INTO expenses (id, title, amount, currency_id, currency, expense_type, group_id, paid_by_id, expense_date, split_type, created_by_id)
       SELECT md5('e' || i)::uuid, 'Expense ' || i,
              CASE WHEN i % 5 = 0 THEN (1000 + i % 9000)::numeric ELSE (10000 + i % 90000)::numeric / 100 END,
              CASE WHEN i % 5 = 0 THEN $2::uuid ELSE $3::uuid END, CASE WHEN i % 5 = 0 THEN 'JPY' ELSE 'EUR' END,
              'group', $1, (SELECT id FROM u WHERE idx = i % $4), CURRENT_DATE - (i % 365), 'equal', (SELECT id FROM u WHERE idx = i % $4)
         FROM generate_series(1, $5) AS i`,
      [groupId, currencyId('JPY'), currencyId('EUR'), members, expenses],
    );
    // minor units, and the payers: one payer, or two halves (floor/ceil) on every 3rd expense
    await pool.query(
      `INSERT INTO expense_payers (expense_id, user_id, amount)
       SELECT e.id, p.user_id, p.amount FROM (
         SELECT id, amount, currency, (regexp_replace(title, '\\D', '', 'g'))::int AS i FROM expenses WHERE group_id = $1) e
       CROSS JOIN LATERAL (
         SELECT (SELECT id FROM u WHERE idx = e.i % $2) AS user_id,
                CASE WHEN e.i % 3 = 0 THEN e.amount - trunc(e.amount / 2, CASE WHEN e.currency = 'JPY' THEN 0 ELSE 2 END) ELSE e.amount END AS amount
         UNION ALL
         SELECT (SELECT id FROM u WHERE idx = (e.i + 1) % $2), trunc(e.amount / 2, CASE WHEN e.currency = 'JPY' THEN 0 ELSE 2 END) WHERE e.i % 3 = 0
       ) p`,
      [groupId, members],
    );
    await pool.query(
      `INSERT INTO expense_shares (id, expense_id, user_id, amount, currency_id, paid_by_id)
       SELECT gen_random_uuid(), e.id, u.id,
              (trunc(e.minor / $2) + CASE WHEN u.idx < e.minor % $2 THEN 1 ELSE 0 END) / e.scale, e.currency_id, e.paid_by_id
         FROM (SELECT id, currency_id, paid_by_id, CASE WHEN currency = 'JPY' THEN 1 ELSE 100 END AS scale,
                      amount * CASE WHEN currency = 'JPY' THEN 1 ELSE 100 END AS minor FROM expenses WHERE group_id = $1) e
         CROSS JOIN u
        WHERE trunc(e.minor / $2) + CASE WHEN u.idx < e.minor % $2 THEN 1 ELSE 0 END > 0`,
      [groupId, members],
    );
    await pool.query('ANALYZE');
    const loadSeconds = (performance.now() - t0) / 1000;

    const service = new BalanceService(orm, new BalanceRepository(), projection, new CurrencyRepository());
    const times: number[] = [];
    let result: Awaited<ReturnType<BalanceService['group']>> | undefined;
    for (let r = 0; r < runs; r++) {
      const s = performance.now();
      result = await service.group(users[0], groupId);
      times.push(performance.now() - s);
    }
    times.sort((a, b) => a - b);
    const direct = (await pool.query(
      `SELECT currency, sum(net)::text AS total, count(*)::int AS n FROM (
         SELECT e.currency, x.user_id, sum(x.amount) AS net FROM expenses e
           JOIN (SELECT expense_id, user_id, amount FROM expense_payers UNION ALL SELECT expense_id, user_id, -amount FROM expense_shares) x ON x.expense_id = e.id
          WHERE e.group_id = $1 GROUP BY e.currency, x.user_id) t GROUP BY currency ORDER BY currency`,
      [groupId],
    )).rows;
    const zeroSum = result!.currencies.every((c) => c.balances.reduce((s, b) => s + BigInt(b.amount.replace('.', '')), 0n) === 0n);
    console.log(`group balances: ${expenses.toLocaleString('en')} expenses, ${members} members, 2 currencies (loaded in ${loadSeconds.toFixed(1)} s)`);
    console.log(`  GET /api/v1/balances/groups/:id (BalanceService.group): median ${times[Math.floor(times.length / 2)].toFixed(0)} ms, max ${times[times.length - 1].toFixed(0)} ms over ${runs} runs; target: well under 1,000 ms`);
    for (const c of result!.currencies) console.log(`  ${c.currency}: ${c.balances.length} balances, ${c.transfers.length} transfers (${c.method})`);
    console.log(`  balances sum to zero per currency: ${zeroSum ? 'yes' : 'NO'}; SQL per-currency sums: ${direct.map((d) => `${d.currency} ${d.total}`).join(', ')}`);
    if (!zeroSum || direct.some((d) => Number(d.total) !== 0)) process.exitCode = 1;
  } finally {
    await orm.close(true);
    await pool.end();
    await dropTestDatabase(serverUrl, db);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
