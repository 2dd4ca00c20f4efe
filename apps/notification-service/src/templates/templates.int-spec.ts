/**
 * Notification templates over real HTTP against a real PostgreSQL: the seeded defaults, the admin API
 * (list, read, edit, add a language, preview) and TemplateService.render reading what admins saved. The
 * app is built like preferences.int-spec.ts's (notification-service's kit, migrations and entities).
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
import { PreferenceModule } from '../preferences/preference.module';
import { TemplateRepository } from './template.repository';
import { TemplateModule } from './template.module';
import { TemplateService } from './template.service';

const infra = infraFromEnv();
const run = randomBytes(4).toString('hex');
const dbName = `it_notification_tpl_${run}`;
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
    KAFKA_BROKERS: infra.kafkaBrokers, KAFKA_TOPIC_PREFIX: `it-nt-${run}.`, REDIS_URL: infra.redisUrl, QUEUE_PREFIX: `it-nt-${run}`,
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

function token(userId: string, role: 'user' | 'admin'): string {
  return tokens.sign(userId, { role });
}

const ADMIN = { id: randomUUID(), role: 'admin' as const };
const USER = { id: randomUUID(), role: 'user' as const };

async function call(method: string, path: string, who: { id: string; role: 'user' | 'admin' } | null, body?: unknown) {
  const headers: Record<string, string> = {};
  if (who) headers.authorization = `Bearer ${token(who.id, who.role)}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${base}/api/v1/notification-templates${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, type: res.headers.get('content-type') ?? '', body: text ? JSON.parse(text) : null };
}

type View = { id: string; name: string; type: string; channel: string; language: string; subject: string | null; body: string; variables: Record<string, string>; isActive: boolean; updatedAt: string };

async function allTemplates(query = ''): Promise<View[]> {
  const out: View[] = [];
  let cursor: string | null = null;
  do {
    const res = await call('GET', `?limit=20${query}${cursor ? `&cursor=${cursor}` : ''}`, ADMIN);
    expect(res.status).toBe(200);
    out.push(...(res.body.items as View[]));
    cursor = res.body.nextCursor;
  } while (cursor);
  return out;
}

const templateOf = async (type: string, channel: string, language = 'en') => (await allTemplates(`&type=${type}&channel=${channel}&language=${language}`))[0];
const renderWith = (type: string, channel: 'email' | 'push' | 'sms', language: string | null, vars: Record<string, unknown>) =>
  new TemplateService(new TemplateRepository()).render(runtime.orm.em.fork(), { type, channel, language, vars });
const vars = { recipientName: 'Bea', senderName: 'Ann', title: "Ann added 'Dinner'", message: 'Your share is EUR 20.00.', actionUrl: 'https://app.tally.example/e/1', metadata: { groupName: 'Trip' } };

describe('seeded templates', () => {
  it('has an English email, push and SMS template for every type users receive, read page by page', async () => {
    const all = await allTemplates();
    const keys = all.map((t) => `${t.type}/${t.channel}/${t.language}`).sort();
    expect(keys).toEqual(preferenceTypes().flatMap((t) => [`${t}/email/en`, `${t}/push/en`, `${t}/sms/en`]).sort());
    expect(new Set(all.map((t) => t.id)).size).toBe(all.length);
    const email = all.find((t) => t.type === 'expense_added' && t.channel === 'email')!;
    expect(email.subject).toBe('{{title}}');
    expect(Object.keys(email.variables)).toEqual(expect.arrayContaining(['recipientName', 'senderName', 'title', 'message', 'actionUrl', 'metadata', 'appName']));
  });

  it('filters by type, channel and language', async () => {
    const push = await allTemplates('&channel=push');
    expect(push.length).toBe(preferenceTypes().length);
    expect(push.every((t) => t.channel === 'push')).toBe(true);
    expect(await allTemplates('&language=de')).toEqual([]);
    expect((await call('GET', '?channel=fax', ADMIN)).status).toBe(400);
  });

  it('renders a notification through the seeded template', async () => {
    const out = await renderWith('expense_added', 'email', 'en', vars);
    expect(out.subject).toBe("Ann added 'Dinner'");
    expect(out.text).toContain('Hi Bea,\n\nYour share is EUR 20.00.\n\nOpen it in Tally: https://app.tally.example/e/1');
    expect(out.html).toContain('<a href="https://app.tally.example/e/1">');
  });
});

describe('only admins', () => {
  it('refuses everyone else with 403 ADMIN_REQUIRED, and anyone without a token with 401', async () => {
    const t = await templateOf('friend_request', 'push');
    for (const [method, path, body] of [
      ['GET', '', undefined], ['GET', `/${t.id}`, undefined], ['PATCH', `/${t.id}`, { body: 'hacked {{message}}' }],
      ['POST', `/${t.id}/preview`, {}], ['POST', '', { type: 'friend_request', channel: 'push', language: 'fr', body: 'x' }],
    ] as const) {
      const res = await call(method, path, USER, body);
      expect([method, path, res.status, res.body.code]).toEqual([method, path, 403, 'ADMIN_REQUIRED']);
      expect(res.type).toContain('application/problem+json');
    }
    expect((await call('GET', '', null)).status).toBe(401);
    expect((await call('GET', `/${t.id}`, ADMIN)).body.body).toBe('{{message}}');
  });
});

describe('GET /:id', () => {
  it('answers 400 for an id that is not a UUID and 404 for one that does not exist', async () => {
    expect((await call('GET', '/nope', ADMIN)).body.code).toBe('INVALID_ID');
    const missing = await call('GET', `/${randomUUID()}`, ADMIN);
    expect(missing.status).toBe(404);
    expect(missing.body.code).toBe('TEMPLATE_NOT_FOUND');
  });
});

describe('PATCH /:id', () => {
  it('saves a new body that renders from then on', async () => {
    const t = await templateOf('settlement_completed', 'push');
    const res = await call('PATCH', `/${t.id}`, ADMIN, { subject: 'Settled: {{title}}', body: '{{message}} ({{metadata.groupName}})', variables: { ...t.variables, 'metadata.groupName': 'The group' } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ subject: 'Settled: {{title}}', body: '{{message}} ({{metadata.groupName}})' });
    expect(new Date(res.body.updatedAt).getTime()).toBeGreaterThan(new Date(t.updatedAt).getTime());
    expect(await renderWith('settlement_completed', 'push', 'en', vars)).toEqual({ subject: "Settled: Ann added 'Dinner'", text: 'Your share is EUR 20.00. (Trip)', html: null });
  });

  it.each([
    ['an unclosed block', '{{#if actionUrl}}Open', /Parse error|Expecting/],
    ['an unknown helper', '{{uppercase title}}', /unknown helper uppercase/],
    ['unescaped output', '{{{title}}}', /Unescaped output/],
  ])('refuses a body with %s: 400 TEMPLATE_INVALID with the reason, nothing saved', async (_, body, reason) => {
    const t = await templateOf('group_member_added', 'email');
    const res = await call('PATCH', `/${t.id}`, ADMIN, { body });
    expect(res.status).toBe(400);
    expect(res.type).toContain('application/problem+json');
    expect(res.body.code).toBe('TEMPLATE_INVALID');
    expect(res.body.detail).toMatch(reason);
    expect((await call('GET', `/${t.id}`, ADMIN)).body).toMatchObject({ body: t.body, updatedAt: t.updatedAt });
  });

  it('refuses an invalid subject and an email without one', async () => {
    const t = await templateOf('group_member_removed', 'email');
    expect((await call('PATCH', `/${t.id}`, ADMIN, { subject: '{{#each}}' })).body.code).toBe('TEMPLATE_INVALID');
    expect((await call('PATCH', `/${t.id}`, ADMIN, { subject: null })).body.code).toBe('TEMPLATE_SUBJECT_REQUIRED');
    expect((await call('PATCH', `/${t.id}`, ADMIN, { body: '' })).body.code).toBe('VALIDATION_FAILED');
    expect((await call('PATCH', `/${t.id}`, ADMIN, { variables: { 'bad name': 'x' } })).body.code).toBe('VALIDATION_FAILED');
    expect((await call('GET', `/${t.id}`, ADMIN)).body.subject).toBe('{{title}}');
  });
});

describe('POST / (a language variant)', () => {
  it('adds a template in another language that recipients of that language get, falling back to English when it is off', async () => {
    const res = await call('POST', '', ADMIN, { type: 'friend_accepted', channel: 'push', language: 'pt-BR', subject: '{{title}}', body: 'Agora são amigos: {{message}}' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ type: 'friend_accepted', channel: 'push', language: 'pt-BR', name: 'friend_accepted_push_pt-BR', isActive: true });
    expect((await renderWith('friend_accepted', 'push', 'pt-BR', vars)).text).toBe('Agora são amigos: Your share is EUR 20.00.');
    expect((await renderWith('friend_accepted', 'push', 'pt-PT', vars)).text).toBe('Your share is EUR 20.00.');
    expect((await call('PATCH', `/${res.body.id}`, ADMIN, { isActive: false })).body.isActive).toBe(false);
    expect((await renderWith('friend_accepted', 'push', 'pt-BR', vars)).text).toBe('Your share is EUR 20.00.');
  });

  it('refuses a second template for the same type, channel and language, and bad input', async () => {
    const dup = await call('POST', '', ADMIN, { type: 'expense_added', channel: 'sms', language: 'en', body: '{{message}}' });
    expect(dup.status).toBe(409);
    expect(dup.body.code).toBe('TEMPLATE_EXISTS');
    expect((await call('POST', '', ADMIN, { type: 'expense_added', channel: 'email', language: 'fr', body: '{{message}}' })).body.code).toBe('TEMPLATE_SUBJECT_REQUIRED');
    expect((await call('POST', '', ADMIN, { type: 'password_reset', channel: 'email', language: 'fr', subject: 's', body: 'b' })).body.code).toBe('NOTIFICATION_TYPE_NOT_TEMPLATED');
    expect((await call('POST', '', ADMIN, { type: 'expense_added', channel: 'push', language: 'French', body: 'b' })).body.code).toBe('VALIDATION_FAILED');
    expect((await call('POST', '', ADMIN, { type: 'expense_added', channel: 'push', language: 'fr', body: '{{/if}}' })).body.code).toBe('TEMPLATE_INVALID');
    expect(await allTemplates('&type=expense_added&language=fr')).toEqual([]);
  });
});

describe('POST /:id/preview', () => {
  it('renders with the given variables, escaped in html and as typed in text, examples for the rest', async () => {
    const t = await templateOf('budget_threshold', 'email');
    const res = await call('POST', `/${t.id}/preview`, ADMIN, { variables: { title: '<script>alert(1)</script>', message: 'Food & drinks at 80 %' } });
    expect(res.status).toBe(200);
    expect(res.body.subject).toBe('<script>alert(1)</script>');
    expect(res.body.text).toContain('Hi Alex,\n\nFood & drinks at 80 %');
    expect(res.body.html).toContain('Food &amp; drinks at 80 %');
    expect(res.body.html).not.toContain('<script>');
    const sms = await templateOf('budget_threshold', 'sms');
    const long = await call('POST', `/${sms.id}/preview`, ADMIN, { variables: { message: 'y'.repeat(500) } });
    expect(Array.from(long.body.text as string)).toHaveLength(320);
    expect(long.body.html).toBeNull();
  });
});
