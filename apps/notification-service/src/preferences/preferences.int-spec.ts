/**
 * Notification preferences over real HTTP against a real PostgreSQL: the preferences and templates
 * modules in a Nest app built like notification-service's (the service kit's token guard, validation
 * pipe and problem+json filter; the service's migrations and entities), with access tokens signed by a
 * key projected the way auth's are. Asserted on what the API answers and what the table holds.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { DynamicModule, Module } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Pool } from 'pg';
import { loadConfig } from '@tally/config';
import { IdentityProjectionRepository, identityEntities, identitySources } from '@tally/identity';
import { inTransaction } from '@tally/persistence';
import { ServiceKitModule, ServiceRuntime, bootstrapHttpService } from '@tally/service-kit';
import { TestAccessTokens, createTestDatabase, dropTestDatabase, freePort, infraFromEnv } from '@tally/testing';
import { NotificationServiceConfig } from '../config/notification.config';
import { entities } from '../entities';
import { migrations } from '../migrations';
import { preferenceTypes } from '../notifications/notification-types';
import { TemplateModule } from '../templates/template.module';
import { PreferenceModule } from './preference.module';
import { PreferenceRepository } from './preference.repository';

const infra = infraFromEnv();
const run = randomBytes(4).toString('hex');
const dbName = `it_notification_prefs_${run}`;
const tokens = new TestAccessTokens(`k-${run}`);

@Module({})
class PreferencesApp {
  static forRoot(runtime: ServiceRuntime<NotificationServiceConfig>): DynamicModule {
    return { module: PreferencesApp, global: true, imports: [ServiceKitModule.forRoot(runtime, identitySources(runtime.orm)), PreferenceModule, TemplateModule] };
  }
}

let runtime: ServiceRuntime<NotificationServiceConfig>;
let app: NestFastifyApplication;
let pool: Pool;
let base: string;

beforeAll(async () => {
  const databaseUrl = await createTestDatabase(infra.databaseUrl, dbName);
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  const config = loadConfig(NotificationServiceConfig, {
    NODE_ENV: 'test', LOG_LEVEL: 'warn', PORT: String(port), DATABASE_URL: databaseUrl, DATABASE_POOL_MAX: '4',
    KAFKA_BROKERS: infra.kafkaBrokers, KAFKA_TOPIC_PREFIX: `it-np-${run}.`, REDIS_URL: infra.redisUrl, QUEUE_PREFIX: `it-np-${run}`,
  });
  runtime = await ServiceRuntime.create({ name: 'notification-service', config, entities: [...entities, ...identityEntities], migrations, relay: false });
  app = await bootstrapHttpService(runtime, PreferencesApp.forRoot(runtime), { port, host: '127.0.0.1' });
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

async function call(method: string, path: string, user: string | null, body?: unknown) {
  const headers: Record<string, string> = {};
  if (user) headers.authorization = `Bearer ${token(user)}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${base}/api/v1/notification-preferences${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, type: res.headers.get('content-type') ?? '', body: text ? JSON.parse(text) : null };
}

const storedRows = async (userId: string) => (await pool.query(`SELECT notification_type FROM notification_preferences WHERE user_id = $1 ORDER BY 1`, [userId])).rows;
type View = { type: string; isEnabled: boolean; channels: string[]; quietHours: unknown; frequency: string; isDefault: boolean; description: string; priority: string };
const find = (list: View[], type: string) => list.find((p) => p.type === type)!;

describe('GET /api/v1/notification-preferences', () => {
  it('lists every type a user can set, each with its default, for a new user', async () => {
    const res = await call('GET', '', randomUUID());
    expect(res.status).toBe(200);
    const list = res.body as View[];
    expect(list.map((p) => p.type)).toEqual(preferenceTypes());
    expect(list.map((p) => p.type)).not.toContain('password_reset');
    expect(find(list, 'expense_added')).toEqual({
      type: 'expense_added', description: 'An expense that involves you was added', priority: 'normal',
      isEnabled: true, channels: ['in_app', 'email', 'push'], quietHours: null, frequency: 'immediate', isDefault: true,
    });
    expect(find(list, 'payment_failed').channels).toEqual(['in_app', 'email', 'push', 'sms']);
  });

  it('needs a token', async () => {
    expect((await call('GET', '', null)).status).toBe(401);
  });
});

describe('PUT, PATCH and DELETE /api/v1/notification-preferences/:type', () => {
  it('stores a whole preference and lists it as the user set it', async () => {
    const me = randomUUID();
    const put = await call('PUT', '/expense_added', me, { isEnabled: true, channels: ['push', 'in_app'], quietHours: { start: '22:00', end: '07:00' }, frequency: 'daily' });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ type: 'expense_added', isEnabled: true, channels: ['in_app', 'push'], quietHours: { start: '22:00', end: '07:00' }, frequency: 'daily', isDefault: false });
    const list = (await call('GET', '', me)).body as View[];
    expect(find(list, 'expense_added')).toMatchObject({ channels: ['in_app', 'push'], quietHours: { start: '22:00', end: '07:00' }, frequency: 'daily', isDefault: false });
    expect(find(list, 'friend_request').isDefault).toBe(true);
    expect((await call('GET', '/expense_added', me)).body).toEqual(put.body);
  });

  it('PUT without quiet hours removes them; a second PUT replaces the first', async () => {
    const me = randomUUID();
    await call('PUT', '/friend_request', me, { isEnabled: true, channels: ['email'], quietHours: { start: '23:00', end: '06:00' }, frequency: 'hourly' });
    const again = await call('PUT', '/friend_request', me, { isEnabled: false, channels: [], frequency: 'immediate' });
    expect(again.body).toMatchObject({ isEnabled: false, channels: [], quietHours: null, frequency: 'immediate', isDefault: false });
  });

  it('PATCH changes only the fields given, from the default for a type never set', async () => {
    const me = randomUUID();
    const first = await call('PATCH', '/settlement_requested', me, { frequency: 'weekly' });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ isEnabled: true, channels: ['in_app', 'email', 'push'], quietHours: null, frequency: 'weekly', isDefault: false });
    const second = await call('PATCH', '/settlement_requested', me, { quietHours: { start: '21:30', end: '08:15' } });
    expect(second.body).toMatchObject({ channels: ['in_app', 'email', 'push'], quietHours: { start: '21:30', end: '08:15' }, frequency: 'weekly' });
    const cleared = await call('PATCH', '/settlement_requested', me, { quietHours: null, isEnabled: false });
    expect(cleared.body).toMatchObject({ isEnabled: false, quietHours: null, frequency: 'weekly' });
  });

  it('PATCH with nothing in it stores nothing', async () => {
    const me = randomUUID();
    const res = await call('PATCH', '/friend_accepted', me, {});
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ isDefault: true });
    expect(await storedRows(me)).toEqual([]);
  });

  it('two PATCHes of different fields at once both land', async () => {
    const me = randomUUID();
    await Promise.all([call('PATCH', '/expense_comment', me, { frequency: 'hourly' }), call('PATCH', '/expense_comment', me, { channels: ['email'] })]);
    expect((await call('GET', '/expense_comment', me)).body).toMatchObject({ frequency: 'hourly', channels: ['email'] });
  });

  it('DELETE goes back to the default', async () => {
    const me = randomUUID();
    await call('PUT', '/group_invitation', me, { isEnabled: false, channels: [], frequency: 'daily' });
    const reset = await call('DELETE', '/group_invitation', me);
    expect(reset.status).toBe(200);
    expect(reset.body).toMatchObject({ isEnabled: true, channels: ['in_app', 'email', 'push'], quietHours: null, frequency: 'immediate', isDefault: true });
    expect(await storedRows(me)).toEqual([]);
    expect((await call('DELETE', '/group_invitation', me)).status).toBe(200);
  });

  it('PUT /quiet-hours sets the same quiet hours on every type and keeps the rest', async () => {
    const me = randomUUID();
    await call('PATCH', '/expense_added', me, { frequency: 'daily' });
    const res = await call('PUT', '/quiet-hours', me, { quietHours: { start: '22:00', end: '07:00' } });
    expect(res.status).toBe(200);
    expect((res.body as View[]).every((p) => JSON.stringify(p.quietHours) === JSON.stringify({ start: '22:00', end: '07:00' }))).toBe(true);
    expect(find(res.body, 'expense_added').frequency).toBe('daily');
    const off = await call('PUT', '/quiet-hours', me, { quietHours: null });
    expect((off.body as View[]).every((p) => p.quietHours === null)).toBe(true);
  });

  it("never shows or changes another user's preferences", async () => {
    const ann = randomUUID();
    const bob = randomUUID();
    await call('PUT', '/expense_added', ann, { isEnabled: false, channels: [], frequency: 'weekly' });
    expect(find((await call('GET', '', bob)).body, 'expense_added')).toMatchObject({ isEnabled: true, isDefault: true });
    await call('DELETE', '/expense_added', bob);
    expect(find((await call('GET', '', ann)).body, 'expense_added')).toMatchObject({ isEnabled: false, frequency: 'weekly' });
  });
});

describe('invalid preferences', () => {
  const me = randomUUID();
  const valid = { isEnabled: true, channels: ['in_app'], quietHours: { start: '22:00', end: '07:00' }, frequency: 'daily' };

  beforeAll(async () => {
    expect((await call('PUT', '/expense_added', me, valid)).status).toBe(200);
  });

  it.each([
    ['an unknown channel', { ...valid, channels: ['in_app', 'fax'] }, 'channels'],
    ['a repeated channel', { ...valid, channels: ['email', 'email'] }, 'channels'],
    ['channels that are not a list', { ...valid, channels: 'email' }, 'channels'],
    ['an hour past 23', { ...valid, quietHours: { start: '24:00', end: '07:00' } }, 'quietHours.start'],
    ['a time without minutes', { ...valid, quietHours: { start: '22', end: '07:00' } }, 'quietHours.start'],
    ['a 12-hour time', { ...valid, quietHours: { start: '10:00 PM', end: '07:00' } }, 'quietHours.start'],
    ['quiet hours with only a start', { ...valid, quietHours: { start: '22:00' } }, 'quietHours.end'],
    ['quiet hours that are not an object', { ...valid, quietHours: '22:00-07:00' }, 'quietHours'],
    ['an unknown frequency', { ...valid, frequency: 'monthly' }, 'frequency'],
    ['isEnabled as text', { ...valid, isEnabled: 'yes' }, 'isEnabled'],
    ['a missing field', { channels: ['email'], frequency: 'daily' }, 'isEnabled'],
    ['an unknown field', { ...valid, colour: 'red' }, 'colour'],
  ])('refuses %s with a 400 problem naming the field, and changes nothing', async (_, body, field) => {
    const res = await call('PUT', '/expense_added', me, body);
    expect(res.status).toBe(400);
    expect(res.type).toContain('application/problem+json');
    expect(res.body.code).toBe('VALIDATION_FAILED');
    expect((res.body.errors as { field: string }[]).map((e) => e.field)).toContain(field);
    expect((await call('GET', '/expense_added', me)).body).toMatchObject({ channels: ['in_app'], quietHours: { start: '22:00', end: '07:00' }, frequency: 'daily' });
  });

  it('refuses quiet hours that start when they end', async () => {
    const res = await call('PATCH', '/expense_added', me, { quietHours: { start: '07:00', end: '07:00' } });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('INVALID_QUIET_HOURS');
    expect((await call('GET', '/expense_added', me)).body.quietHours).toEqual({ start: '22:00', end: '07:00' });
  });

  it('answers 404 for a type that does not exist and 400 for an account email', async () => {
    const unknown = await call('PUT', '/no_such_type', me, valid);
    expect(unknown.status).toBe(404);
    expect(unknown.body.code).toBe('NOTIFICATION_TYPE_NOT_FOUND');
    const account = await call('PATCH', '/password_reset', me, { isEnabled: false });
    expect(account.status).toBe(400);
    expect(account.body.code).toBe('NOTIFICATION_TYPE_NOT_ADJUSTABLE');
    expect((await call('DELETE', '/email_verification', me)).status).toBe(400);
    expect(await storedRows(me)).toEqual([{ notification_type: 'expense_added' }]);
  });

  it('refuses a body that is not an object', async () => {
    const res = await call('PATCH', '/expense_added', me, ['email']);
    expect(res.status).toBe(400);
    expect(res.type).toContain('application/problem+json');
  });
});

describe('PreferenceRepository.forUsers', () => {
  it("reads many users' preference for one type in one go, with defaults for those without one", async () => {
    const set = randomUUID();
    const unset = randomUUID();
    await call('PUT', '/budget_threshold', set, { isEnabled: false, channels: ['email'], quietHours: { start: '23:00', end: '06:30' }, frequency: 'hourly' });
    await call('PUT', '/expense_added', unset, { isEnabled: false, channels: [], frequency: 'weekly' }); // another type: no effect
    const prefs = await new PreferenceRepository().forUsers(runtime.orm.em.fork(), [set, unset, 'not-a-uuid'], 'budget_threshold');
    expect(prefs.get(set)).toEqual({ enabled: false, channels: ['email'], quietHours: { start: '23:00', end: '06:30' }, frequency: 'hourly' });
    expect(prefs.get(unset)).toEqual({ enabled: true, channels: ['in_app', 'email', 'push'], quietHours: null, frequency: 'immediate' });
    expect(prefs.get('not-a-uuid')).toEqual({ enabled: true, channels: ['in_app', 'email', 'push'], quietHours: null, frequency: 'immediate' });
    expect((await new PreferenceRepository().forUsers(runtime.orm.em.fork(), [], 'budget_threshold')).size).toBe(0);
  });
});
