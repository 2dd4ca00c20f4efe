/**
 * `node -r @swc-node/register tools/bench/expense-create.ts [--duration 8] [--connections 8,32]`   (or `npm run bench:expense-create`)
 *
 * Creating a 4-way group expense through the gateway (`POST /api/v1/expenses`, an equal split among
 * four members: validation, the exact split, the expense, its payer and four share rows, tags, and
 * the expense.created outbox row in one transaction), measured with wrk at each connection count,
 * printed beside pgbench on the same PostgreSQL at the same concurrency running the floor of that
 * work: one transaction of a single INSERT plus an outbox INSERT. Both in the same run, so the ratio
 * is what this machine says.
 *
 * It starts its own system (auth, group, expense services and the gateway from dist/, own databases,
 * topic prefix; removed at the end) on DATABASE_URL / REDIS_URL / KAFKA_BROKERS (default: infra/up.sh's
 * local processes), with the gateway's per-user limit raised so the path is measured, not the limiter.
 * Needs wrk and pgbench (Debian: `apt-get install -y wrk postgresql-client`; wrk is installed when it can be).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { TallySystem, createTestDatabase, dropTestDatabase } from '@tally/testing';

const REPO = path.resolve(__dirname, '..', '..');

function options(argv: string[]): { duration: number; connections: number[] } {
  const o = { duration: 8, connections: [8, 32] };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--duration') o.duration = Number(argv[++i]);
    else if (argv[i] === '--connections') o.connections = argv[++i].split(',').map(Number);
    else throw new Error(`unknown option ${argv[i]}`);
  }
  if (!(o.duration >= 1 && o.duration <= 120)) throw new Error('--duration must be 1..120 seconds');
  return o;
}

function ensureTool(bin: string, pkg: string): void {
  if (spawnSync(bin, ['--version']).error === undefined) return;
  const asRoot = process.getuid?.() === 0;
  spawnSync(asRoot ? 'apt-get' : 'sudo', asRoot ? ['install', '-y', pkg] : ['-n', 'apt-get', 'install', '-y', pkg], { stdio: 'inherit' });
  if (spawnSync(bin, ['--version']).error !== undefined) throw new Error(`${bin} is needed: install ${pkg} and run again`);
}

interface Figures {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
}

function wrkPost(url: string, token: string, body: string, connections: number, seconds: number): Figures {
  const script = path.join(os.tmpdir(), `expense-create-${process.pid}.lua`);
  fs.writeFileSync(script, `
wrk.method = "POST"
wrk.body = ${JSON.stringify(body)}
wrk.headers["content-type"] = "application/json"
wrk.headers["authorization"] = "Bearer ${token}"
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('WRK_JSON {"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,"non2xx":%d,"socket":%d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), e.status, e.connect + e.read + e.write + e.timeout))
end
`);
  const out = execFileSync('wrk', ['-t', String(Math.min(2, connections)), '-c', String(connections), '-d', `${seconds}s`, '--timeout', '10s', '-s', script, url], { encoding: 'utf8' });
  const line = out.split('\n').find((l) => l.startsWith('WRK_JSON '));
  if (!line) throw new Error(`wrk printed no summary:\n${out}`);
  const j = JSON.parse(line.slice(9));
  return { rps: j.requests / (j.duration_us / 1e6), p50: j.p50_us / 1000, p99: j.p99_us / 1000, errors: j.non2xx + j.socket };
}

function pgbench(url: string, connections: number, seconds: number): Figures {
  const script = path.join(os.tmpdir(), `expense-create-${process.pid}.sql`);
  fs.writeFileSync(script, `BEGIN;
INSERT INTO bench_expense (id, title, amount, created_at) VALUES (gen_random_uuid(), 'Dinner', 40.00, now());
INSERT INTO bench_outbox (id, topic, key, type, payload) VALUES (gen_random_uuid(), 'expense.expense.v1', 'k', 'expense.created', '{"amount":"40.00"}');
COMMIT;
`);
  const u = new URL(url);
  const log = fs.mkdtempSync(path.join(os.tmpdir(), 'pgbench-'));
  const r = spawnSync('pgbench', ['-n', '-c', String(connections), '-j', '2', '-T', String(seconds), '-f', script, '-l', '--log-prefix', path.join(log, 'tx'),
    '-h', u.hostname, '-p', u.port || '5432', '-U', decodeURIComponent(u.username || 'postgres'), u.pathname.slice(1)], { encoding: 'utf8', env: { ...process.env, PGPASSWORD: decodeURIComponent(u.password) } });
  if (r.status !== 0) throw new Error(`pgbench failed:\n${r.stdout}\n${r.stderr}`);
  const tps = Number(/tps = ([\d.]+)/.exec(r.stdout)?.[1]);
  const latencies = fs.readdirSync(log).flatMap((f) => fs.readFileSync(path.join(log, f), 'utf8').trim().split('\n')).map((l) => Number(l.split(' ')[2]) / 1000).sort((a, b) => a - b);
  fs.rmSync(log, { recursive: true, force: true });
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN;
  return { rps: tps, p50: at(0.5), p99: at(0.99), errors: 0 };
}

async function json(method: string, url: string, body?: unknown, token?: string): Promise<{ status: number; body: any }> {
  const res = await fetch(url, { method, headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

async function user(gateway: string, authDb: string, i: number): Promise<{ id: string; token: string }> {
  const tag = `bx${Date.now().toString(36)}${i}`;
  const u = { username: tag, email: `${tag}@example.com`, password: `Pw-${tag}-long-enough`, firstName: `B${i}` };
  const reg = await json('POST', `${gateway}/api/v1/auth/register`, u);
  if (reg.status >= 300) throw new Error(`register: ${reg.status}`);
  const db = new Client({ connectionString: authDb });
  await db.connect();
  try {
    await db.query('UPDATE users SET is_verified = TRUE WHERE username = $1', [tag]);
  } finally {
    await db.end();
  }
  const login = await json('POST', `${gateway}/api/v1/auth/login`, { login: tag, password: u.password });
  if (login.status !== 200) throw new Error(`login: ${login.status}`);
  return { id: login.body.user.id, token: login.body.accessToken };
}

const f = (n: number, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });

async function main(): Promise<void> {
  const opts = options(process.argv.slice(2));
  ensureTool('wrk', 'wrk');
  ensureTool('pgbench', 'postgresql-client');
  execFileSync(process.execPath, [path.join(REPO, 'tools/build.js')], { stdio: 'inherit' });
  const infra = {
    databaseUrl: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
    redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    kafkaBrokers: process.env.KAFKA_BROKERS ?? '127.0.0.1:9092',
  };
  const quiet = { LOG_LEVEL: 'warn' };
  const system = new TallySystem({
    infra, smtpPort: 1, apps: ['auth-service', 'group-service', 'expense-service', 'api-gateway'],
    env: { 'api-gateway': { ...quiet, RATE_LIMIT_USER: '1000000/1s' }, 'auth-service': quiet, 'group-service': quiet, 'expense-service': { ...quiet, DATABASE_POOL_MAX: '10' } },
  });
  const scratch = `bench_pg_${Date.now().toString(36)}`;
  console.log('== starting auth, group, expense services and the gateway');
  try {
    await system.start();
    const gw = system.gatewayUrl;
    const people = [];
    for (let i = 0; i < 4; i++) people.push(await user(gw, system.databaseUrl('auth'), i));
    const g = await json('POST', `${gw}/api/v1/groups`, { name: 'Bench', currency: 'EUR' }, people[0].token);
    for (const p of people.slice(1)) await json('POST', `${gw}/api/v1/groups/join`, { inviteCode: g.body.inviteCode }, p.token);
    const body = JSON.stringify({ title: 'Dinner', amount: '40.00', groupId: g.body.id, split: { type: 'equal', userIds: people.map((p) => p.id) } });
    const url = `${gw}/api/v1/expenses`;
    for (let t = 0; ; t++) {
      const r = await json('POST', url, JSON.parse(body), people[0].token);
      if (r.status === 201) break;
      if (t > 150) throw new Error(`expense-service never accepted the expense: ${r.status} ${JSON.stringify(r.body)}`);
      await new Promise((res) => setTimeout(res, 200)); // its membership projection is catching up
    }
    const scratchUrl = await createTestDatabase(infra.databaseUrl, scratch);
    const c = new Client({ connectionString: scratchUrl });
    await c.connect();
    await c.query(`CREATE TABLE bench_expense (id uuid PRIMARY KEY, title varchar(200) NOT NULL, amount numeric(16,3) NOT NULL, created_at timestamptz NOT NULL)`);
    await c.query(`CREATE TABLE bench_outbox (seq bigserial PRIMARY KEY, id uuid NOT NULL, topic text NOT NULL, key text NOT NULL, type text NOT NULL, payload jsonb NOT NULL, created_at timestamptz NOT NULL DEFAULT now())`);
    await c.end();
    console.log(`== warm-up, then ${opts.duration} s per run`);
    wrkPost(url, people[0].token, body, 8, 3);
    const rows: string[] = [];
    for (const conns of opts.connections) {
      const api = wrkPost(url, people[0].token, body, conns, opts.duration);
      const pg = pgbench(scratchUrl, conns, opts.duration);
      rows.push(`| ${conns} | ${f(api.rps)}/s, p50 ${f(api.p50, 1)} ms, p99 ${f(api.p99, 1)} ms${api.errors ? `, ${api.errors} errors` : ''} | ${f(pg.rps)}/s, p50 ${f(pg.p50, 2)} ms, p99 ${f(pg.p99, 2)} ms | ${f((100 * api.rps) / pg.rps, 1)}% |`);
    }
    console.log('\nPOST /api/v1/expenses (4-way equal split) through the gateway, beside pgbench (INSERT + outbox INSERT, one transaction)');
    console.log('| connections | through the gateway | pgbench, same concurrency | API / pgbench |');
    console.log('|---|---|---|---|');
    for (const r of rows) console.log(r);
  } finally {
    await system.stop().catch(() => undefined);
    await dropTestDatabase(infra.databaseUrl, scratch).catch(() => undefined);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
