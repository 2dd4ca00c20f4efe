/**
 * Comments on expenses over real HTTP against a real PostgreSQL, through expense-service's own
 * AppModule, migrations and outbox: who may read and write them (a stranger, a removed member and a
 * viewer; the author; a group admin), replies and what deleting does to them, validation that changes
 * nothing, cursor pages oldest first, and the comment.* events written in the same transaction.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Pool } from 'pg';
import { loadConfig } from '@tally/config';
import { IdentityProjectionRepository } from '@tally/identity';
import { inTransaction } from '@tally/persistence';
import { FriendshipProjectionRepository, MembershipProjectionRepository } from '@tally/projections';
import { ServiceRuntime, bootstrapHttpService } from '@tally/service-kit';
import { TestAccessTokens, createTestDatabase, dropTestDatabase, freePort, infraFromEnv } from '@tally/testing';
import { AppModule } from '../app.module';
import { ExpenseServiceConfig } from '../config/expense.config';
import { GroupProjectionRepository } from '../groups/group-projection.repository';
import { migrations } from '../migrations';
import { entities } from '../runtime';

const infra = infraFromEnv();
const run = randomBytes(4).toString('hex');
const dbName = `it_expense_comments_${run}`;
const tokens = new TestAccessTokens(`k-${run}`);

let runtime: ServiceRuntime<ExpenseServiceConfig>;
let app: NestFastifyApplication;
let pool: Pool;
let base: string;

beforeAll(async () => {
  const databaseUrl = await createTestDatabase(infra.databaseUrl, dbName);
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  const config = loadConfig(ExpenseServiceConfig, {
    NODE_ENV: 'test', LOG_LEVEL: 'warn', PORT: String(port), DATABASE_URL: databaseUrl, DATABASE_POOL_MAX: '4',
    KAFKA_BROKERS: infra.kafkaBrokers, KAFKA_TOPIC_PREFIX: `it-ec-${run}.`, REDIS_URL: infra.redisUrl, QUEUE_PREFIX: `it-ec-${run}`,
  });
  runtime = await ServiceRuntime.create({ name: 'expense-service', config, entities, migrations, relay: false });
  app = await bootstrapHttpService(runtime, AppModule.forRoot(runtime), { port, host: '127.0.0.1' });
  pool = new Pool({ connectionString: databaseUrl, max: 2 });
  await inTransaction(runtime.orm, (em) => new IdentityProjectionRepository({}).upsertSigningKey(em, tokens.announcement(), new Date().toISOString()));
});

afterAll(async () => {
  await app?.close();
  await runtime?.shutdown();
  await pool?.end();
  await dropTestDatabase(infra.databaseUrl, dbName);
});

function token(userId: string): string {
  return tokens.sign(userId);
}

async function call(method: string, path: string, who: string | null, body?: unknown, rawBody?: string) {
  const headers: Record<string, string> = {};
  if (who) headers.authorization = `Bearer ${token(who)}`;
  if (body !== undefined || rawBody !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${base}/api/v1/expenses${path}`, { method, headers, body: rawBody ?? (body === undefined ? undefined : JSON.stringify(body)) });
  const text = await res.text();
  return { status: res.status, type: res.headers.get('content-type') ?? '', body: text ? JSON.parse(text) : null };
}

const now = () => new Date().toISOString();
const groups = new GroupProjectionRepository();
const memberships = new MembershipProjectionRepository();

/** A group in expense-service's projections, as group-service's events would leave it. */
async function group(members: { id: string; role?: 'admin' | 'member' | 'viewer'; active?: boolean }[], opts: { archived?: boolean } = {}): Promise<string> {
  const g = randomUUID();
  await inTransaction(runtime.orm, async (em) => {
    await groups.upsertGroup(em, {
      groupId: g, name: 'Trip', description: null, groupType: 'trip', image: null, currency: 'EUR', isPrivate: false, isArchived: false,
      isActive: true, requiresApproval: false, memberCount: members.length, byUserId: members[0].id, at: now(),
    }, now());
    for (const m of members) {
      await memberships.upsertMember(em, {
        membershipId: randomUUID(), groupId: g, userId: m.id, role: m.role ?? 'member', status: m.active === false ? 'removed' : 'accepted',
        isActive: m.active ?? true, byUserId: m.id, at: now(),
      }, now());
    }
  });
  if (opts.archived) await pool.query(`UPDATE expense_groups SET is_archived = TRUE WHERE id = $1`, [g]);
  return g;
}

/** Ann (admin), Bob and Cat (members), Vic (viewer), Rex (removed); a dinner Ann paid, split between Ann and Bob. */
async function dinner() {
  const [ann, bob, cat, vic, rex, stranger] = Array.from({ length: 6 }, () => randomUUID());
  const g = await group([{ id: ann, role: 'admin' }, { id: bob }, { id: cat }, { id: vic, role: 'viewer' }, { id: rex, active: false }]);
  const res = await call('POST', '', ann, { title: 'Dinner', amount: '60.00', groupId: g, split: { type: 'equal', userIds: [ann, bob] } });
  expect(res.status).toBe(201);
  return { ann, bob, cat, vic, rex, stranger, g, expenseId: res.body.id as string };
}

const outbox = async (commentId: string) =>
  (await pool.query(`SELECT topic, key, type, payload FROM outbox WHERE key = $1 ORDER BY seq`, [commentId])).rows.map((r) => ({ topic: r.topic, key: r.key, type: r.type, data: r.payload.data }));
const countComments = async (expenseId: string) => (await pool.query(`SELECT count(*)::int AS n FROM expense_comments WHERE expense_id = $1`, [expenseId])).rows[0].n as number;
const countOutbox = async () => (await pool.query(`SELECT count(*)::int AS n FROM outbox WHERE topic = 'expense.comment.v1'`)).rows[0].n as number;

describe('comments on an expense', () => {
  it('are added by anyone in the group who may write, listed oldest first, with a comment.created event in the same transaction', async () => {
    const { ann, bob, cat, g, expenseId } = await dinner();
    const first = await call('POST', `/${expenseId}/comments`, bob, { comment: '  Was the tip included?  ' });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ expenseId, userId: bob, comment: 'Was the tip included?', parentId: null, isEdited: false, editedAt: null });
    // Cat is in the group but not in the expense: she may read and comment too
    const second = await call('POST', `/${expenseId}/comments`, cat, { comment: 'I can pay my part too 😀' });
    expect(second.status).toBe(201);
    const list = await call('GET', `/${expenseId}/comments`, ann);
    expect(list.status).toBe(200);
    expect(list.body.items.map((c: { comment: string }) => c.comment)).toEqual(['Was the tip included?', 'I can pay my part too 😀']);
    expect(list.body.nextCursor).toBeNull();

    const events = await outbox(first.body.id);
    expect(events).toEqual([{
      topic: 'expense.comment.v1', key: first.body.id, type: 'comment.created',
      data: expect.objectContaining({
        commentId: first.body.id, expenseId, groupId: g, userId: bob, parentId: null, parentAuthorId: null, expenseTitle: 'Dinner',
        comment: 'Was the tip included?', isEdited: false, byUserId: bob,
      }),
    }]);
    expect([...events[0].data.participantIds].sort()).toEqual([ann, bob].sort());
  });

  it('take replies to a comment on the same expense, naming the parent\'s author in the event, and refuse a parent from another expense', async () => {
    const { ann, bob, expenseId } = await dinner();
    const other = await dinner();
    const parent = (await call('POST', `/${expenseId}/comments`, bob, { comment: 'Was the tip included?' })).body;
    const reply = await call('POST', `/${expenseId}/comments`, ann, { comment: 'Yes, 10 %.', parentId: parent.id.toUpperCase() });
    expect(reply.status).toBe(201);
    expect(reply.body).toMatchObject({ parentId: parent.id, userId: ann });
    expect((await outbox(reply.body.id))[0].data).toMatchObject({ parentId: parent.id, parentAuthorId: bob, userId: ann, byUserId: ann });

    const foreignParent = (await call('POST', `/${other.expenseId}/comments`, other.ann, { comment: 'elsewhere' })).body;
    const before = await countComments(expenseId);
    const bad = await call('POST', `/${expenseId}/comments`, ann, { comment: 'Reply', parentId: foreignParent.id });
    expect(bad).toMatchObject({ status: 422, type: expect.stringContaining('application/problem+json'), body: { code: 'INVALID_COMMENT_PARENT' } });
    const missing = await call('POST', `/${expenseId}/comments`, ann, { comment: 'Reply', parentId: randomUUID() });
    expect(missing.body.code).toBe('INVALID_COMMENT_PARENT');
    expect(await countComments(expenseId)).toBe(before);
    // and the database holds the rule too
    await expect(pool.query(`INSERT INTO expense_comments (id, expense_id, user_id, comment, parent_id) VALUES ($1, $2, $3, 'x', $4)`,
      [randomUUID(), expenseId, ann, foreignParent.id])).rejects.toThrow(/fk_comment_parent_same_expense/);
  });

  it('do not exist for a stranger or a removed member (404), and viewers read them but cannot write (403)', async () => {
    const { bob, vic, rex, stranger, expenseId } = await dinner();
    const c = (await call('POST', `/${expenseId}/comments`, bob, { comment: 'Hello' })).body;
    for (const who of [stranger, rex]) {
      expect(await call('GET', `/${expenseId}/comments`, who)).toMatchObject({ status: 404, body: { code: 'EXPENSE_NOT_FOUND' } });
      expect(await call('POST', `/${expenseId}/comments`, who, { comment: 'me too' })).toMatchObject({ status: 404, body: { code: 'EXPENSE_NOT_FOUND' } });
      expect(await call('PATCH', `/${expenseId}/comments/${c.id}`, who, { comment: 'mine' })).toMatchObject({ status: 404, body: { code: 'EXPENSE_NOT_FOUND' } });
      expect(await call('DELETE', `/${expenseId}/comments/${c.id}`, who)).toMatchObject({ status: 404, body: { code: 'EXPENSE_NOT_FOUND' } });
    }
    expect(await call('GET', `/${randomUUID()}/comments`, bob)).toMatchObject({ status: 404, body: { code: 'EXPENSE_NOT_FOUND' } });
    const read = await call('GET', `/${expenseId}/comments`, vic);
    expect(read.status).toBe(200);
    expect(read.body.items.map((x: { id: string }) => x.id)).toEqual([c.id]);
    expect(await call('POST', `/${expenseId}/comments`, vic, { comment: 'Nice' })).toMatchObject({ status: 403, body: { code: 'GROUP_VIEWER_READ_ONLY' } });
    expect(await call('GET', `/${expenseId}/comments`, null)).toMatchObject({ status: 401 });
    expect(await countComments(expenseId)).toBe(1);
  });

  it('are edited only by their author (403 for others, 404 for a comment of another expense), marked edited, with comment.updated', async () => {
    const { ann, bob, cat, expenseId } = await dinner();
    const other = await dinner();
    const c = (await call('POST', `/${expenseId}/comments`, bob, { comment: 'Was the tip included?' })).body;
    expect(await call('PATCH', `/${expenseId}/comments/${c.id}`, ann, { comment: 'Changed by an admin' })).toMatchObject({ status: 403, body: { code: 'NOT_COMMENT_AUTHOR' } });
    expect(await call('PATCH', `/${expenseId}/comments/${c.id}`, cat, { comment: 'Changed' })).toMatchObject({ status: 403, body: { code: 'NOT_COMMENT_AUTHOR' } });
    expect(await call('PATCH', `/${other.expenseId}/comments/${c.id}`, other.bob, { comment: 'x' })).toMatchObject({ status: 404, body: { code: 'COMMENT_NOT_FOUND' } });
    expect(await call('PATCH', `/${expenseId}/comments/${randomUUID()}`, bob, { comment: 'x' })).toMatchObject({ status: 404, body: { code: 'COMMENT_NOT_FOUND' } });

    const edited = await call('PATCH', `/${expenseId}/comments/${c.id}`, bob, { comment: 'Was the 10 % tip included?' });
    expect(edited.status).toBe(200);
    expect(edited.body).toMatchObject({ comment: 'Was the 10 % tip included?', isEdited: true, editedAt: expect.any(String) });
    expect((await call('GET', `/${expenseId}/comments`, ann)).body.items[0]).toMatchObject({ comment: 'Was the 10 % tip included?', isEdited: true });
    const events = await outbox(c.id);
    expect(events.map((x) => x.type)).toEqual(['comment.created', 'comment.updated']);
    expect(events[1].data).toMatchObject({ comment: 'Was the 10 % tip included?', isEdited: true, byUserId: bob });
  });

  it('are deleted by their author or a group admin (204), not by other members; the replies stay, no longer replies', async () => {
    const { ann, bob, cat, expenseId } = await dinner();
    const parent = (await call('POST', `/${expenseId}/comments`, bob, { comment: 'Was the tip included?' })).body;
    const reply = (await call('POST', `/${expenseId}/comments`, cat, { comment: 'I think so', parentId: parent.id })).body;
    expect(await call('DELETE', `/${expenseId}/comments/${parent.id}`, cat)).toMatchObject({ status: 403, body: { code: 'NOT_COMMENT_AUTHOR' } });
    const del = await call('DELETE', `/${expenseId}/comments/${parent.id}`, ann);
    expect(del.status).toBe(204);
    expect(del.body).toBeNull();
    const items = (await call('GET', `/${expenseId}/comments`, bob)).body.items;
    expect(items).toEqual([expect.objectContaining({ id: reply.id, parentId: null, comment: 'I think so' })]);
    expect(await call('DELETE', `/${expenseId}/comments/${parent.id}`, ann)).toMatchObject({ status: 404, body: { code: 'COMMENT_NOT_FOUND' } });
    const events = await outbox(parent.id);
    expect(events.map((x) => x.type)).toEqual(['comment.created', 'comment.deleted']);
    expect(events[1].data).toMatchObject({ comment: null, userId: bob, byUserId: ann });
    expect(await call('DELETE', `/${expenseId}/comments/${reply.id}`, cat)).toMatchObject({ status: 204 });
    expect(await countComments(expenseId)).toBe(0);
  });

  it('refuse ill-formed, blank and too long text and unknown fields with 400 problem+json, changing nothing', async () => {
    const { bob, expenseId } = await dinner();
    const c = (await call('POST', `/${expenseId}/comments`, bob, { comment: 'Original' })).body;
    const [comments, events] = [await countComments(expenseId), await countOutbox()];
    const bodies: { body?: unknown; raw?: string; field?: string }[] = [
      { body: { comment: '   ' }, field: 'comment' },
      { body: { comment: '' }, field: 'comment' },
      { body: {}, field: 'comment' },
      { body: { comment: 42 }, field: 'comment' },
      { body: { comment: 'x'.repeat(5001) }, field: 'comment' },
      { raw: '{"comment":"a\\u0000b"}', field: 'comment' },
      { raw: '{"comment":"a\\ud800b"}', field: 'comment' },
      { body: { comment: 'ok', parentId: 'not-a-uuid' }, field: 'parentId' },
      { body: { comment: 'ok', isEdited: true }, field: 'isEdited' },
      { body: null },
    ];
    for (const b of bodies) {
      const post = await call('POST', `/${expenseId}/comments`, bob, b.body, b.raw ?? (b.body === null ? 'null' : undefined));
      expect(post.status).toBe(400);
      expect(post.type).toContain('application/problem+json');
      if (b.field) expect(post.body.errors.map((e: { field: string }) => e.field)).toContain(b.field);
      if (b.body !== null && !(b.body as { parentId?: string })?.parentId) {
        const patch = await call('PATCH', `/${expenseId}/comments/${c.id}`, bob, b.body, b.raw);
        expect(patch.status).toBe(400);
      }
    }
    // 5000 characters counted as code points: 5000 emoji are 10000 UTF-16 units, and fit
    const longest = await call('POST', `/${expenseId}/comments`, bob, { comment: '😀'.repeat(5000) });
    expect(longest.status).toBe(201);
    expect(await call('PATCH', `/${expenseId}/comments/not-a-uuid`, bob, { comment: 'x' })).toMatchObject({ status: 400, body: { code: 'INVALID_ID' } });
    expect(await call('GET', `/${expenseId}/comments?cursor=bm9wZQ`, bob)).toMatchObject({ status: 400, body: { code: 'INVALID_CURSOR' } });
    expect(await call('GET', `/${expenseId}/comments?limit=0`, bob)).toMatchObject({ status: 400 });
    expect(await countComments(expenseId)).toBe(comments + 1);
    expect(await countOutbox()).toBe(events + 1);
    expect((await call('GET', `/${expenseId}/comments`, bob)).body.items[0]).toMatchObject({ comment: 'Original', isEdited: false });
  });

  it('come in cursor pages, oldest first, every comment once', async () => {
    const { ann, bob, expenseId } = await dinner();
    const texts = Array.from({ length: 7 }, (_, i) => `comment ${i + 1}`);
    for (const [i, comment] of texts.entries()) expect((await call('POST', `/${expenseId}/comments`, i % 2 ? ann : bob, { comment })).status).toBe(201);
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res = await call('GET', `/${expenseId}/comments?limit=3${cursor ? `&cursor=${cursor}` : ''}`, ann);
      expect(res.status).toBe(200);
      seen.push(...res.body.items.map((c: { comment: string }) => c.comment));
      cursor = res.body.nextCursor;
      pages++;
    } while (cursor);
    expect(seen).toEqual(texts);
    expect(pages).toBe(3);
  });

  it('of a deleted expense stay readable but are read-only (409); an archived group is read-only too', async () => {
    const { ann, bob, expenseId } = await dinner();
    const c = (await call('POST', `/${expenseId}/comments`, bob, { comment: 'Before' })).body;
    expect((await call('DELETE', `/${expenseId}`, ann)).status).toBe(200);
    expect((await call('GET', `/${expenseId}/comments`, bob)).body.items).toHaveLength(1);
    expect(await call('POST', `/${expenseId}/comments`, bob, { comment: 'After' })).toMatchObject({ status: 409, body: { code: 'EXPENSE_DELETED' } });
    expect(await call('PATCH', `/${expenseId}/comments/${c.id}`, bob, { comment: 'Edited' })).toMatchObject({ status: 409, body: { code: 'EXPENSE_DELETED' } });
    expect(await call('DELETE', `/${expenseId}/comments/${c.id}`, bob)).toMatchObject({ status: 409, body: { code: 'EXPENSE_DELETED' } });

    const [dan, eve] = [randomUUID(), randomUUID()];
    const g = await group([{ id: dan, role: 'admin' }, { id: eve }]);
    const e = (await call('POST', '', dan, { title: 'Taxi', amount: '10.00', groupId: g, split: { type: 'equal', userIds: [dan, eve] } })).body;
    await pool.query(`UPDATE expense_groups SET is_archived = TRUE WHERE id = $1`, [g]);
    expect(await call('POST', `/${e.id}/comments`, eve, { comment: 'Late' })).toMatchObject({ status: 409, body: { code: 'GROUP_ARCHIVED' } });
    expect((await call('GET', `/${e.id}/comments`, eve)).status).toBe(200);
  });

  it('between friends outside groups: the people in the expense comment, nobody else sees them', async () => {
    const [ann, bob, stranger] = [randomUUID(), randomUUID(), randomUUID()];
    await inTransaction(runtime.orm, (em) => new FriendshipProjectionRepository().apply(em,
      { friendshipId: randomUUID(), fromUserId: ann, toUserId: bob, status: 'accepted', byUserId: bob, message: null, at: now() }, now()));
    const e = (await call('POST', '', ann, { title: 'Cinema', amount: '20.00', currency: 'EUR', split: { type: 'equal', userIds: [ann, bob] } })).body;
    const c = await call('POST', `/${e.id}/comments`, bob, { comment: 'Thanks!' });
    expect(c.status).toBe(201);
    expect((await outbox(c.body.id))[0].data).toMatchObject({ groupId: null, expenseTitle: 'Cinema' });
    expect(await call('GET', `/${e.id}/comments`, stranger)).toMatchObject({ status: 404, body: { code: 'EXPENSE_NOT_FOUND' } });
    // outside groups there is no admin: only the author deletes
    expect(await call('DELETE', `/${e.id}/comments/${c.body.id}`, ann)).toMatchObject({ status: 403, body: { code: 'NOT_COMMENT_AUTHOR' } });
  });
});
