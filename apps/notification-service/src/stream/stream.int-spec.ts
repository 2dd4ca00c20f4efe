/**
 * The live notification stream over real HTTP: notification-service's whole Nest app (PostgreSQL,
 * Redis, Kafka) and Server-Sent Events read the way a browser's EventSource reads them. Notifications
 * are stored through the repository in a transaction, as the Kafka consumers store them (possibly in
 * another replica: the insert's connection is never the stream's).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Kafka, logLevel } from 'kafkajs';
import { Pool } from 'pg';
import { IdentityProjectionRepository } from '@tally/identity';
import { inTransaction } from '@tally/persistence';
import { ServiceRuntime, bootstrapHttpService } from '@tally/service-kit';
import { TestAccessTokens, createTestDatabase, dropTestDatabase, expectEventually, freePort, infraFromEnv, sleep } from '@tally/testing';
import { AppModule } from '../app.module';
import type { NotificationServiceConfig } from '../config/notification.config';
import { InAppRow, NotificationRepository } from '../notifications/notification.repository';
import { NotificationRuntime, createRuntime } from '../runtime';
import { notifyNewNotifications } from './notify';

const infra = infraFromEnv();
const run = randomBytes(4).toString('hex');
const dbName = `it_notification_stream_${run}`;
const topicPrefix = `it-ns-${run}.`;
const tokens = new TestAccessTokens(`k-${run}`);
const repo = new NotificationRepository();

let nr: NotificationRuntime;
let runtime: ServiceRuntime<NotificationServiceConfig>;
let app: NestFastifyApplication;
let appClosed = false;
let pool: Pool;
let base: string;
const open: SseClient[] = [];

beforeAll(async () => {
  const databaseUrl = await createTestDatabase(infra.databaseUrl, dbName);
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  const env: Record<string, string> = {
    NODE_ENV: 'test', LOG_LEVEL: 'warn', PORT: String(port), DATABASE_URL: databaseUrl, DATABASE_POOL_MAX: '6',
    KAFKA_BROKERS: infra.kafkaBrokers, KAFKA_TOPIC_PREFIX: topicPrefix, KAFKA_SESSION_TIMEOUT_MS: '10000', OUTBOX_POLL_INTERVAL_MS: '500',
    REDIS_URL: infra.redisUrl, QUEUE_PREFIX: `it-ns-${run}`,
  };
  nr = await createRuntime(env);
  runtime = nr.runtime;
  app = await bootstrapHttpService(runtime, AppModule.forRoot(nr), { port, host: '127.0.0.1' });
  pool = new Pool({ connectionString: databaseUrl, max: 2 });
  await inTransaction(runtime.orm, (em) => new IdentityProjectionRepository({}).upsertSigningKey(em, tokens.announcement(), new Date().toISOString()));
});

afterEach(() => {
  for (const c of open.splice(0)) c.close();
});

afterAll(async () => {
  if (!appClosed) await app?.close();
  await runtime?.shutdown();
  await pool?.end();
  await dropTestDatabase(infra.databaseUrl, dbName);
  const admin = new Kafka({ clientId: `it-ns-${run}`, brokers: infra.kafkaBrokers.split(','), logLevel: logLevel.NOTHING }).admin();
  try {
    await admin.connect();
    const mine = (await admin.listTopics()).filter((t) => t.startsWith(topicPrefix));
    if (mine.length) await admin.deleteTopics({ topics: mine, timeout: 10000 });
  } catch {
    // leftover topics of a test run are harmless
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
});

// ---- factories and helpers ---------------------------------------------------------------------

function token(userId: string, ttlS = 900): string {
  return tokens.sign(userId, { ttlS });
}

interface SseEvent {
  id?: string;
  event: string;
  data: string;
}

/** Reads a text/event-stream the way EventSource does (events, comments, retry), over its own connection. */
class SseClient {
  readonly events: SseEvent[] = [];
  readonly comments: string[] = [];
  retry?: number;
  ended = false;
  private buffer = '';

  constructor(readonly res: http.IncomingMessage) {
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      this.buffer += chunk;
      let at: number;
      while ((at = this.buffer.indexOf('\n\n')) >= 0) {
        this.frame(this.buffer.slice(0, at));
        this.buffer = this.buffer.slice(at + 2);
      }
    });
    res.on('close', () => (this.ended = true));
    res.on('error', () => (this.ended = true));
  }

  header(name: string): string | undefined {
    const v = this.res.headers[name.toLowerCase()];
    return Array.isArray(v) ? v.join(', ') : v;
  }

  /** The notifications' ids, in the order they came. */
  get ids(): string[] {
    return this.events.filter((e) => e.event === 'notification').map((e) => JSON.parse(e.data).id as string);
  }

  get lastEventId(): string | undefined {
    return [...this.events].reverse().find((e) => e.id !== undefined)?.id;
  }

  /** The client goes away (its connection closes). */
  close(): void {
    this.res.destroy();
  }

  waitFor(ids: string[], timeoutMs = 10000): Promise<void> {
    return expectEventually(() => expect(this.ids).toEqual(expect.arrayContaining(ids)), { timeoutMs, intervalMs: 50, what: 'events on the stream' }).then(() => undefined);
  }

  private frame(text: string): void {
    const e: Partial<SseEvent> = {};
    const data: string[] = [];
    for (const line of text.split('\n')) {
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === '') this.comments.push(value);
      else if (field === 'id') e.id = value;
      else if (field === 'event') e.event = value;
      else if (field === 'data') data.push(value);
      else if (field === 'retry') this.retry = Number(value);
    }
    if (data.length) this.events.push({ id: e.id, event: e.event ?? 'message', data: data.join('\n') });
  }
}

/** Opens the stream (a connection of its own, as a browser's EventSource has); a refusal comes back as its status and problem+json body. */
async function connect(userId: string | null, opts: { lastEventId?: string; query?: string; ttlS?: number } = {}) {
  const headers: Record<string, string> = { accept: 'text/event-stream' };
  if (userId) headers.authorization = `Bearer ${token(userId, opts.ttlS)}`;
  if (opts.lastEventId) headers['last-event-id'] = opts.lastEventId;
  const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
    http.get(`${base}/api/v1/notifications/stream${opts.query ?? ''}`, { headers, agent: false }, resolve).on('error', reject);
  });
  const type = String(res.headers['content-type'] ?? '');
  if (res.statusCode !== 200) {
    let text = '';
    for await (const chunk of res) text += chunk;
    return { status: res.statusCode, type, body: JSON.parse(text) as { code?: string }, client: undefined };
  }
  const client = new SseClient(res);
  open.push(client);
  // Subscribed once `retry:` (the first frame, after registration) is in.
  await expectEventually(() => expect(client.retry).toBeDefined(), { timeoutMs: 5000, intervalMs: 20 });
  return { status: res.statusCode, type, body: undefined, client };
}

async function stream(userId: string, opts: { lastEventId?: string; query?: string; ttlS?: number } = {}): Promise<SseClient> {
  const r = await connect(userId, opts);
  expect(r.status).toBe(200);
  return r.client!;
}

/** One event's in-app notifications for `userIds`, stored as a consumer stores them; rolled back when asked. Returns their ids. */
async function notify(userIds: string[], opts: { rollback?: boolean } = {}): Promise<string[]> {
  const rows: InAppRow[] = userIds.map((userId, i) => ({
    id: randomUUID(), userId, senderId: null, type: 'friend_request', title: `Request ${i} ${run}`, message: 'Someone wants to be friends.',
    priority: 'normal', relatedObjectType: null, relatedObjectId: null, actionUrl: null, metadata: {}, channels: ['in_app'],
  }));
  const insert = inTransaction(runtime.orm, async (em) => {
    await repo.insertInApp(em, randomUUID(), rows);
    if (opts.rollback) throw new Error('rolled back on purpose');
  });
  if (opts.rollback) await expect(insert).rejects.toThrow('rolled back on purpose');
  else await insert;
  return rows.map((r) => r.id);
}

async function view(userId: string, id: string) {
  const res = await fetch(`${base}/api/v1/notifications/${id}`, { headers: { authorization: `Bearer ${token(userId)}` } });
  expect(res.status).toBe(200);
  return res.json();
}

const user = () => randomUUID();

// ---- tests -------------------------------------------------------------------------------------

describe('GET /api/v1/notifications/stream', () => {
  it('is an event stream that tells clients to retry after 3 s and is never buffered', async () => {
    const s = await stream(user());
    expect(s.header('content-type')).toMatch(/^text\/event-stream/);
    expect(s.header('cache-control')).toContain('no-cache');
    expect(s.header('x-accel-buffering')).toBe('no');
    expect(s.retry).toBe(3000);
  });

  it('is in the OpenAPI document as an event stream', async () => {
    const doc = (await (await fetch(`${base}/openapi.json`)).json()) as { paths: Record<string, Record<string, { responses: Record<string, { content?: object }>; parameters: { name: string }[] }>> };
    const op = doc.paths['/api/v1/notifications/stream'].get;
    expect(Object.keys(op.responses['200'].content ?? {})).toContain('text/event-stream');
    expect(op.parameters.map((p) => p.name)).toEqual(expect.arrayContaining(['Last-Event-ID', 'lastEventId']));
  });

  it('needs an access token', async () => {
    const r = await connect(null);
    expect(r.status).toBe(401);
    expect(r.type).toContain('application/problem+json');
  });

  it("shows a user's new notification on both of their streams, as GET :id shows it, and never on someone else's", async () => {
    const alice = user();
    const bob = user();
    const [before] = await notify([alice]);
    const a1 = await stream(alice);
    const a2 = await stream(alice);
    const b1 = await stream(bob);

    const [forAlice, forBob] = await notify([alice, bob]);
    await a1.waitFor([forAlice]);
    await a2.waitFor([forAlice]);
    await b1.waitFor([forBob]);

    const ev = a1.events.find((e) => e.event === 'notification')!;
    expect(JSON.parse(ev.data)).toEqual(await view(alice, forAlice));
    expect(ev.id).toMatch(/^[A-Za-z0-9_-]+$/);
    // Only what arrived after connecting, each once; the other user's never.
    expect(a1.ids).toEqual([forAlice]);
    expect(a2.ids).toEqual([forAlice]);
    expect(b1.ids).toEqual([forBob]);
    expect(a1.ids).not.toContain(before);
  });

  it('never shows a notification whose transaction rolled back', async () => {
    const alice = user();
    const s = await stream(alice);
    const [rolledBack] = await notify([alice], { rollback: true });
    const [committed] = await notify([alice]);
    await s.waitFor([committed]);
    await sleep(300);
    expect(s.ids).toEqual([committed]);
    expect(s.ids).not.toContain(rolledBack);
  });

  it('resumes from Last-Event-ID: the missed notifications once, oldest first, then live ones', async () => {
    const alice = user();
    const first = await stream(alice);
    const [n1] = await notify([alice]);
    await first.waitFor([n1]);
    const lastEventId = first.lastEventId!;
    first.close();

    const [n2] = await notify([alice]);
    const [n3] = await notify([alice]);
    const again = await stream(alice, { lastEventId });
    await again.waitFor([n2, n3]);
    const [n4] = await notify([alice]);
    await again.waitFor([n4]);
    await sleep(300);
    expect(again.ids).toEqual([n2, n3, n4]);

    // An EventSource polyfill that cannot send headers passes it in the query.
    const polyfill = await stream(alice, { query: `?lastEventId=${encodeURIComponent(lastEventId)}` });
    await polyfill.waitFor([n2, n3, n4]);
    expect(polyfill.ids).toEqual([n2, n3, n4]);
    // The header wins over a stale query value (a native EventSource reconnecting to its first URL).
    const both = await stream(alice, { query: `?lastEventId=${encodeURIComponent(lastEventId)}`, lastEventId: polyfill.lastEventId });
    await sleep(300);
    expect(both.ids).toEqual([]);
  });

  it('still shows, once, a notification committed after a newer one though stamped earlier; event ids never go back', async () => {
    const alice = user();
    const s = await stream(alice);
    const [newer] = await notify([alice]);
    await s.waitFor([newer]);
    const idAfterNewer = s.lastEventId!;
    // Another consumer's transaction stamped created_at 5 s ago and commits only now.
    const late = randomUUID();
    await inTransaction(runtime.orm, async (em) => {
      await em.getConnection().execute(
        `INSERT INTO notifications (id, user_id, notification_type, title, message, delivery_channels, delivery_status, is_sent, sent_at, created_at, updated_at)
         VALUES (?, ?, 'friend_request', 'Late', 'Committed late.', '["in_app"]'::jsonb, 'sent', TRUE, now(), now() - interval '5 seconds', now())`,
        [late, alice], 'all', em.getTransactionContext(),
      );
      await notifyNewNotifications(em, [alice]);
    });
    await s.waitFor([late]);
    expect(s.ids).toEqual([newer, late]);
    expect(s.lastEventId).toBe(idAfterNewer);
    // Resuming from there repeats neither.
    const again = await stream(alice, { lastEventId: s.lastEventId });
    const [next] = await notify([alice]);
    await again.waitFor([next]);
    expect(again.ids).toEqual([next]);
  });

  it('answers a Last-Event-ID it never sent with 400 problem+json', async () => {
    const r = await connect(user(), { lastEventId: 'not-one-of-ours' });
    expect(r.status).toBe(400);
    expect(r.type).toContain('application/problem+json');
    expect(r.body?.code).toBe('INVALID_LAST_EVENT_ID');
  });

  it('loses nothing while the LISTEN connection is down: streams catch up when it is back', async () => {
    const alice = user();
    const s = await stream(alice);
    await pool.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'notification-stream-listener' AND datname = current_database()`);
    const [whileDown] = await notify([alice]);
    await s.waitFor([whileDown]);
    const [afterwards] = await notify([alice]);
    await s.waitFor([afterwards]);
    expect(s.ids).toEqual([whileDown, afterwards]);
  });

  it('allows 5 open streams per user: a 6th is 429 problem+json until one closes', async () => {
    const alice = user();
    const streams = [];
    for (let i = 0; i < 5; i++) streams.push(await stream(alice));
    const sixth = await connect(alice);
    expect(sixth.status).toBe(429);
    expect(sixth.type).toContain('application/problem+json');
    expect(sixth.body?.code).toBe('TOO_MANY_STREAMS');
    // Someone else is not affected.
    await stream(user());

    streams[0].close();
    await expectEventually(async () => expect((await connect(alice)).status).toBe(200), { timeoutMs: 5000, intervalMs: 100 });
  });

  it('ends when the access token it was opened with expires', async () => {
    const s = await stream(user(), { ttlS: 2 });
    await expectEventually(() => expect(s.ended).toBe(true), { timeoutMs: 6000, intervalMs: 100 });
  });

  it('ends open streams as soon as the app closes, without holding the shutdown', async () => {
    const s = await stream(user());
    const started = Date.now();
    const closing = app.close();
    appClosed = true;
    await expectEventually(() => expect(s.ended).toBe(true), { timeoutMs: 3000, intervalMs: 20 });
    expect(Date.now() - started).toBeLessThan(3000);
    await closing;
  });
});
