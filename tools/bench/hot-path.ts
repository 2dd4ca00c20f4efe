/**
 * `node -r @swc-node/register tools/bench/hot-path.ts [--duration 8] [--running]`   (or `npm run bench:hot-path`)
 *
 * The authenticated hot path, measured with wrk on loopback, every figure in the same run:
 * - `/health/live` of group-service (no auth, no database): the ceiling of that process;
 * - `GET /api/v1/groups` with a bearer token, straight at group-service (its guard verifies the token
 *   and the account's status, then one read of its database);
 * - the same read through the api-gateway (which verifies the token too, applies the per-user rate
 *   limit in Redis and proxies), at 1, 8 and 32 connections.
 * It prints each target of issue 7 beside the measured value and its limit:
 *   authenticated read >= 50% of /health/live's throughput (same service, 8 connections);
 *   the gateway adding <= 1 ms at p50 and <= 3 ms at p99 (1 connection);
 *   through the gateway >= 70% of the direct throughput at 8 and at 32 connections.
 *
 * By default it starts its own system (auth-service, group-service, api-gateway from dist/, on free
 * ports, with their own databases and topic prefix, removed at the end) on the infrastructure of
 * DATABASE_URL / REDIS_URL / KAFKA_BROKERS (default: the local processes of infra/up.sh). The gateway's
 * per-user limit is raised so the benchmark measures the path, not the limiter (which still runs: one
 * Redis call per request). `--running` uses `npm start`'s system instead (gateway :8080, group :3002,
 * auth's database tally_auth); its per-user limit (300/min by default) must then be raised by the operator
 * (RATE_LIMIT_USER) or the gateway's figures are 429s (they are reported as errors).
 *
 * Options: --duration S per wrk run (8)  --connections list for the gateway/direct comparison (1,8,32)
 *          --running  --keep (after measuring, keep the started system running until Ctrl-C, for wrk by hand)
 *          --cpu-prof DIR (profile group-service and the gateway like node --cpu-prof, through a preloaded
 *          hook, hot-path.cpu-prof.js; the .cpuprofile files are written to DIR when the system stops)
 *          --compare-limiter (also start a second gateway, the same but with RATE_LIMIT_BATCH_MAX=1: one
 *          Redis call per request, as before the rate limiter reserved blocks; at each connection count
 *          measure direct, gateway and that gateway twice, the second time in reverse order, and print
 *          the means: the limiter's share, measured in the same run, drift cancelled)
 * Needs wrk (Debian: `apt-get install -y wrk`; the script installs it when it can). Total time about
 * 12 runs x duration + startup, about two minutes by default.
 */
import { ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { TallySystem } from '@tally/testing';

interface Options {
  duration: number;
  connections: number[];
  running: boolean;
  keep: boolean;
  /** Directory for CPU profiles of group-service and the gateway (node --cpu-prof), written when they stop. */
  cpuProf?: string;
  /** Measure the gateway again with the rate limiter asking Redis on every request (RATE_LIMIT_BATCH_MAX=1). */
  compareLimiter: boolean;
}

function parseArgs(argv: string[]): Options {
  const o: Options = { duration: 8, connections: [1, 8, 32], running: false, keep: false, compareLimiter: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--duration') o.duration = Number(argv[++i]);
    else if (a === '--connections') o.connections = argv[++i].split(',').map(Number);
    else if (a === '--running') o.running = true;
    else if (a === '--keep') o.keep = true;
    else if (a === '--cpu-prof') o.cpuProf = path.resolve(argv[++i] ?? 'tmp/prof');
    else if (a === '--compare-limiter') o.compareLimiter = true;
    else throw new Error(`unknown option ${a}`);
  }
  if (!(o.duration >= 1 && o.duration <= 120)) throw new Error('--duration must be 1..120 seconds');
  if (o.compareLimiter && o.running) throw new Error('--compare-limiter starts a gateway of its own: not with --running');
  return o;
}

const REPO = path.resolve(__dirname, '..', '..');

function ensureWrk(): void {
  if (spawnSync('wrk', ['--version']).error === undefined) return;
  console.log('== wrk is not installed; installing Debian\'s package: apt-get install -y wrk');
  const asRoot = process.getuid?.() === 0;
  const cmd = asRoot ? ['apt-get', ['install', '-y', 'wrk']] as const : ['sudo', ['-n', 'apt-get', 'install', '-y', 'wrk']] as const;
  const r = spawnSync(cmd[0], [...cmd[1]], { stdio: 'inherit' });
  if (r.status !== 0 || spawnSync('wrk', ['--version']).error !== undefined) {
    throw new Error('wrk is needed: install it (Debian/Ubuntu: `sudo apt-get install -y wrk`; macOS: `brew install wrk`) and run again');
  }
}

/** wrk's summary as JSON, printed by a `done` hook. */
const WRK_LUA = `
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('WRK_JSON {"requests":%d,"duration_us":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,"non2xx":%d,"socket_errors":%d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    e.status, e.connect + e.read + e.write + e.timeout))
end
`;

interface WrkResult {
  rps: number;
  p50: number;
  p90: number;
  p99: number;
  errors: number;
  requests: number;
}

function wrk(url: string, connections: number, seconds: number, token?: string): WrkResult {
  const script = path.join(os.tmpdir(), `hot-path-${process.pid}.lua`);
  fs.writeFileSync(script, WRK_LUA);
  const args = ['-t', String(Math.min(2, connections)), '-c', String(connections), '-d', `${seconds}s`, '--timeout', '5s', '-s', script];
  if (token) args.push('-H', `Authorization: Bearer ${token}`);
  args.push(url);
  const out = execFileSync('wrk', args, { encoding: 'utf8' });
  const line = out.split('\n').find((l) => l.startsWith('WRK_JSON '));
  if (!line) throw new Error(`wrk printed no summary:\n${out}`);
  const j = JSON.parse(line.slice('WRK_JSON '.length));
  return {
    rps: j.requests / (j.duration_us / 1e6), p50: j.p50_us / 1000, p90: j.p90_us / 1000, p99: j.p99_us / 1000,
    errors: j.non2xx + j.socket_errors, requests: j.requests,
  };
}

async function json(method: string, url: string, body?: unknown, token?: string): Promise<{ status: number; body: any }> {
  const res = await fetch(url, {
    method, headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

/** Registers a user through the gateway, marks it verified in auth's database (no mail needed) and logs in. */
async function benchUser(gateway: string, authDb: string): Promise<string> {
  const tag = `bench${Date.now().toString(36)}`;
  const user = { username: tag, email: `${tag}@example.com`, password: `Pw-${tag}-long-enough`, firstName: 'Bench' };
  const reg = await json('POST', `${gateway}/api/v1/auth/register`, user);
  if (reg.status >= 300) throw new Error(`register: ${reg.status} ${JSON.stringify(reg.body)}`);
  const db = new Client({ connectionString: authDb });
  await db.connect();
  try {
    await db.query('UPDATE users SET is_verified = TRUE WHERE username = $1', [user.username]);
  } finally {
    await db.end();
  }
  const login = await json('POST', `${gateway}/api/v1/auth/login`, { login: user.username, password: user.password });
  if (login.status !== 200) throw new Error(`login: ${login.status} ${JSON.stringify(login.body)}`);
  return login.body.accessToken as string;
}

const fmt = (n: number, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });

/** The mean of two runs of the same thing (a pass and its reverse-order twin). */
function meanOf(a: WrkResult, b: WrkResult): WrkResult {
  return { requests: a.requests + b.requests, rps: (a.rps + b.rps) / 2, p50: (a.p50 + b.p50) / 2, p90: (a.p90 + b.p90) / 2, p99: (a.p99 + b.p99) / 2, errors: a.errors + b.errors };
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

/** A second api-gateway of the same system, with `extra` env (its own port); stopped by the caller. */
async function startSecondGateway(system: TallySystem, extra: Record<string, string>): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  // The system's own environment for its gateway (upstreams, Redis, limits, prefix), this port and `extra` over it.
  const env = { ...(system as unknown as { envFor(app: string): Record<string, string> }).envFor('api-gateway'), PORT: String(port), ...extra };
  const log = fs.openSync(path.join(system.logDir, 'api-gateway-2.log'), 'a');
  const child = spawn(process.execPath, [path.join(REPO, 'dist/apps/api-gateway/src/main.js')], { cwd: REPO, env, stdio: ['ignore', log, log] });
  fs.closeSync(log);
  const url = `http://127.0.0.1:${port}`;
  for (const started = Date.now(); ; ) {
    if (child.exitCode !== null) throw new Error(`the second gateway exited with ${child.exitCode}; see ${system.logDir}/api-gateway-2.log`);
    const ok = await fetch(`${url}/health/ready`).then((r) => r.status === 200, () => false);
    if (ok) return { url, child };
    if (Date.now() - started > 60_000) throw new Error('the second gateway did not become ready in 60 s');
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  ensureWrk();
  let system: TallySystem | undefined;
  let gateway: string;
  let group: string;
  let authDb: string;
  if (opts.running) {
    gateway = 'http://127.0.0.1:8080';
    group = 'http://127.0.0.1:3002';
    authDb = `${(process.env.DATABASE_URL_BASE ?? 'postgres://postgres@127.0.0.1:5432').replace(/\/$/, '')}/tally_auth`;
    console.log(`== using the running system (npm start): gateway ${gateway}, group-service ${group}`);
  } else {
    console.log('== build (node tools/build.js)');
    execFileSync(process.execPath, [path.join(REPO, 'tools/build.js')], { stdio: 'inherit' });
    const infra = {
      databaseUrl: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
      redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
      kafkaBrokers: process.env.KAFKA_BROKERS ?? '127.0.0.1:9092',
    };
    // --cpu-prof is not allowed in NODE_OPTIONS: a preloaded hook runs the same sampler through the inspector.
    const prof: Record<string, string> = opts.cpuProf ? { NODE_OPTIONS: `--require ${path.join(__dirname, 'hot-path.cpu-prof.js')}`, TALLY_CPU_PROF_DIR: opts.cpuProf } : {};
    const systemEnv = {
      // The path, not the limiter, is measured: the per-user limit is far above what wrk sends (the check itself
      // still runs, from blocks reserved in Redis: RATE_LIMIT_BATCH_MAX's default; --compare-limiter adds a gateway with 1).
      'api-gateway': { RATE_LIMIT_USER: '1000000/1s', LOG_LEVEL: 'warn', ...prof },
      'auth-service': { LOG_LEVEL: 'warn' },
      'group-service': { LOG_LEVEL: 'warn', ...prof },
    };
    system = new TallySystem({
      infra, smtpPort: 1, apps: ['auth-service', 'group-service', 'api-gateway'],
      env: systemEnv,
    });
    console.log('== starting auth-service, group-service and api-gateway (own databases, topic prefix)');
    try {
      await system.start();
    } catch (err) {
      await system.stop().catch(() => undefined);
      throw err;
    }
    gateway = system.gatewayUrl;
    group = `http://127.0.0.1:${system.ports['group-service']}`;
    authDb = system.databaseUrl('auth');
  }
  let perRequestGateway: { url: string; child: ChildProcess } | undefined;
  const stop = async () => {
    if (perRequestGateway) {
      perRequestGateway.child.kill('SIGTERM');
      await new Promise((r) => perRequestGateway!.child.once('exit', r));
    }
    if (system && opts.keep) {
      console.log(`(--keep) system running: ${JSON.stringify(system.ports)}; logs in ${system.logDir}. Ctrl-C stops it and removes its data.`);
      await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
    }
    await system?.stop().catch(() => undefined);
    if (opts.cpuProf) console.log(`CPU profiles (group-service, api-gateway): ${opts.cpuProf}`);
  };
  try {
    const token = await benchUser(gateway, authDb);
    if (opts.keep) {
      const tokenFile = path.join(os.tmpdir(), 'hot-path.token');
      fs.writeFileSync(tokenFile, token, { mode: 0o600 });
      console.log(`(--keep) the bench user's access token is in ${tokenFile} (wrk -H "Authorization: Bearer $(cat ${tokenFile})" ...)`);
    }
    const read = '/api/v1/groups';
    for (const [base, t] of [[group, token], [gateway, token]] as const) {
      const r = await json('GET', base + read, undefined, t);
      if (r.status !== 200) throw new Error(`${base}${read}: ${r.status} ${JSON.stringify(r.body)}`);
    }
    const d = opts.duration;
    if (opts.compareLimiter && system) {
      perRequestGateway = await startSecondGateway(system, { RATE_LIMIT_BATCH_MAX: '1' });
      if ((await json('GET', perRequestGateway.url + read, undefined, token)).status !== 200) throw new Error('the second gateway does not answer the read');
    }
    console.log(`== warm-up (${Math.min(3, d)} s each)`);
    wrk(`${group}/health/live`, 8, Math.min(3, d));
    wrk(group + read, 8, Math.min(3, d), token);
    wrk(gateway + read, 8, Math.min(3, d), token);
    if (perRequestGateway) wrk(perRequestGateway.url + read, 8, Math.min(3, d), token);

    console.log(`== measuring (${d} s per run, loopback; wrk -t<=2)`);
    const rows: string[][] = [];
    const run = (what: string, url: string, c: number, tok?: string) => {
      const r = wrk(url, c, d, tok);
      rows.push([what, String(c), fmt(r.rps), fmt(r.p50, 2), fmt(r.p90, 2), fmt(r.p99, 2), String(r.errors)]);
      console.log(`   ${what.padEnd(40)} c=${String(c).padStart(2)}  ${fmt(r.rps).padStart(7)} req/s  p50 ${fmt(r.p50, 2)} ms  p99 ${fmt(r.p99, 2)} ms  errors ${r.errors}`);
      return r;
    };
    const health = run('group-service /health/live', `${group}/health/live`, 8);
    const direct = new Map<number, WrkResult>();
    const via = new Map<number, WrkResult>();
    const perRequest = new Map<number, WrkResult>();
    for (const c of opts.connections) {
      if (!perRequestGateway) {
        direct.set(c, run(`group-service GET ${read} (direct)`, group + read, c, token));
        via.set(c, run(`api-gateway GET ${read}`, gateway + read, c, token));
        continue;
      }
      // direct, gateway, per-request gateway; then the same in reverse order; the means are reported.
      const dA = run(`group-service GET ${read} (direct)`, group + read, c, token);
      const gA = run(`api-gateway GET ${read}`, gateway + read, c, token);
      const pA = run(`api-gateway GET ${read} (Redis per request)`, perRequestGateway.url + read, c, token);
      const pB = run(`api-gateway GET ${read} (Redis per request)`, perRequestGateway.url + read, c, token);
      const gB = run(`api-gateway GET ${read}`, gateway + read, c, token);
      const dB = run(`group-service GET ${read} (direct)`, group + read, c, token);
      direct.set(c, meanOf(dA, dB));
      via.set(c, meanOf(gA, gB));
      perRequest.set(c, meanOf(pA, pB));
    }

    console.log('\n== figures');
    console.log(['run', 'conns', 'req/s', 'p50 ms', 'p90 ms', 'p99 ms', 'errors'].join(' | '));
    for (const r of rows) console.log(r.join(' | '));

    const targets: [string, string, string, boolean][] = [];
    const dc8 = direct.get(8) ?? direct.values().next().value!;
    const ratio = dc8.rps / health.rps;
    targets.push([`authenticated read / /health/live (group-service, 8 conns)`, `${fmt(100 * ratio, 1)}% (${fmt(dc8.rps)} / ${fmt(health.rps)} req/s)`, '>= 50%', ratio >= 0.5]);
    const g1 = via.get(1);
    const d1 = direct.get(1);
    if (g1 && d1) {
      targets.push(['gateway adds, p50 (1 conn)', `${fmt(g1.p50 - d1.p50, 2)} ms (${fmt(g1.p50, 2)} - ${fmt(d1.p50, 2)})`, '<= 1 ms', g1.p50 - d1.p50 <= 1]);
      targets.push(['gateway adds, p99 (1 conn)', `${fmt(g1.p99 - d1.p99, 2)} ms (${fmt(g1.p99, 2)} - ${fmt(d1.p99, 2)})`, '<= 3 ms', g1.p99 - d1.p99 <= 3]);
    }
    for (const c of opts.connections.filter((n) => n > 1)) {
      const share = via.get(c)!.rps / direct.get(c)!.rps;
      targets.push([`through the gateway / direct (${c} conns)`, `${fmt(100 * share, 1)}% (${fmt(via.get(c)!.rps)} / ${fmt(direct.get(c)!.rps)} req/s)`, '>= 70%', share >= 0.7]);
    }
    if (perRequest.size) {
      console.log('\n== the rate limiter: blocks reserved from Redis (default) vs one Redis call per request (means of two passes, same run)');
      for (const c of opts.connections) {
        const [g, p, dr] = [via.get(c)!, perRequest.get(c)!, direct.get(c)!];
        console.log(
          `   c=${String(c).padStart(2)}  blocks ${fmt(g.rps).padStart(6)} req/s (${fmt(100 * g.rps / dr.rps, 1)}% of direct), p50 ${fmt(g.p50, 2)} ms`
          + `   per request ${fmt(p.rps).padStart(6)} req/s (${fmt(100 * p.rps / dr.rps, 1)}%), p50 ${fmt(p.p50, 2)} ms   blocks/per request ${fmt(100 * g.rps / p.rps, 1)}%`,
        );
      }
    }
    const errors = [health, ...direct.values(), ...via.values(), ...perRequest.values()].reduce((n, r) => n + r.errors, 0);
    console.log('\n== targets (issue 7), measured in this run');
    for (const [what, value, limit, ok] of targets) console.log(`${ok ? 'MET ' : 'MISS'}  ${what.padEnd(58)} ${value.padEnd(40)} limit ${limit}`);
    if (errors) console.log(`\n!! ${errors} requests answered non-2xx or failed: the figures above are not of the hot path (rate limited? token expired?)`);
    console.log(`\nmachine: ${os.cpus().length} cores (${os.cpus()[0]?.model ?? '?'}), load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}, node ${process.version}`);
  } finally {
    await stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
