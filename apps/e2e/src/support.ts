import { spawn } from 'node:child_process';
import path from 'node:path';
import { Client } from 'pg';
import { CapturedMail, REPO_ROOT, SmtpCatcher, TallySystem, expectEventually, infraFromEnv } from '@tally/testing';

export interface ApiResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

/** A JSON call through the gateway (or any base URL). */
export async function call<T = any>(base: string, method: string, path: string, opts: { body?: unknown; token?: string; headers?: Record<string, string>; raw?: string } = {}): Promise<ApiResponse<T>> {
  const headers: Record<string, string> = { ...(opts.headers ?? {}) };
  if (opts.body !== undefined || opts.raw !== undefined) headers['content-type'] ??= 'application/json';
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  const res = await fetch(base + path, { method, headers, body: opts.raw ?? (opts.body !== undefined ? JSON.stringify(opts.body) : undefined) });
  const text = await res.text();
  let body: any = text;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    // not JSON
  }
  return { status: res.status, headers: res.headers, body };
}

export async function startSystem(env?: ConstructorParameters<typeof TallySystem>[0]['env']): Promise<{ system: TallySystem; smtp: SmtpCatcher }> {
  const smtp = new SmtpCatcher();
  const smtpPort = await smtp.start();
  const system = new TallySystem({ infra: infraFromEnv(), smtpPort, env });
  try {
    await system.start();
  } catch (err) {
    await system.stop().catch(() => undefined);
    await smtp.stop();
    throw err;
  }
  return { system, smtp };
}

export function verificationToken(text: string): string {
  const m = /token=([A-Za-z0-9_-]{20,})/.exec(text);
  if (!m) throw new Error(`no verification token in mail:\n${text}`);
  return m[1];
}

export function newUser(tag: string, runId: string) {
  const username = `${tag}_${runId}`.slice(0, 40);
  return { username, email: `${username}@example.com`.toLowerCase(), password: `Pw-${runId}-long-enough`, firstName: 'Test', lastName: tag };
}

/** One query on a service's database (e.g. `system.databaseUrl('auth')`), for assertions on what it stored. */
export async function query<T = any>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query(sql, params)).rows as T[];
  } finally {
    await c.end();
  }
}

/** A registered, verified and logged-in user: `newUser(tag)` through the gateway and the real verification mail. */
export async function signUpVerified(system: TallySystem, smtp: SmtpCatcher, tag: string): Promise<{ id: string; username: string; email: string; password: string; token: string }> {
  const gw = system.gatewayUrl;
  const u = newUser(tag, system.runId);
  const reg = await call(gw, 'POST', '/api/v1/auth/register', { body: u });
  if (reg.status !== 202) throw new Error(`register ${u.username}: ${reg.status} ${JSON.stringify(reg.body)}`);
  const token = verificationToken((await smtp.waitFor(u.email, 60000)).text);
  const verified = await call(gw, 'POST', '/api/v1/auth/verify-email', { body: { token } });
  if (verified.status !== 200) throw new Error(`verify ${u.username}: ${verified.status} ${JSON.stringify(verified.body)}`);
  const login = await call(gw, 'POST', '/api/v1/auth/login', { body: { login: u.username, password: u.password } });
  if (login.status !== 200) throw new Error(`login ${u.username}: ${login.status} ${JSON.stringify(login.body)}`);
  return { id: login.body.user.id, username: u.username, email: u.email, password: u.password, token: login.body.accessToken };
}

/** auth's create-admin command, as an operator runs it against this run's database (e.g. `['--email', e, '--superuser']`). */
export function createAdmin(system: TallySystem, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [path.join(REPO_ROOT, 'dist/apps/auth-service/src/admin/create-admin.js'), ...args], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', DATABASE_URL: system.databaseUrl('auth'), PORT: '3001', KAFKA_BROKERS: infraFromEnv().kafkaBrokers, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

/** The first mail to `address` that `match` accepts (e.g. an account's second mail, after its verification), waiting up to timeoutMs. */
export async function waitForMail(smtp: SmtpCatcher, address: string, match: (m: CapturedMail) => boolean, timeoutMs = 30000): Promise<CapturedMail> {
  return expectEventually(() => {
    const m = smtp.to(address).find(match);
    if (!m) throw new Error(`no matching mail to ${address} yet (${smtp.to(address).length} others)`);
    return m;
  }, { timeoutMs, intervalMs: 100, what: `a mail to ${address}` });
}

/** A problem+json answer with this status (and `code`, when given). */
export function expectProblem(res: ApiResponse, status: number, code?: string): void {
  expect({ status: res.status, code: res.body?.code }).toEqual({ status, code: code ?? res.body?.code });
  expect(res.headers.get('content-type')).toContain('application/problem+json');
}
