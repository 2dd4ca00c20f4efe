import { Client } from 'pg';
import { SmtpCatcher, TallySystem, infraFromEnv } from '@tally/testing';

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
