/**
 * The inbox transport under Nest (`@nestjs/microservices`), against real PostgreSQL and Kafka: handlers
 * declared as `@EventPattern` methods of a module's controllers, with DI and interceptors, several per event
 * type in sequence on one transaction, hooks after them, and errors that reach the DLQ with their own reason.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { CallHandler, Controller, ExecutionContext, Injectable, Module, NestInterceptor, OnModuleInit, UseInterceptors } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { INestMicroservice } from '@nestjs/common';
import { Pool } from 'pg';
import { Kafka, logLevel } from 'kafkajs';
import { Observable, tap } from 'rxjs';
import { Entity, EntityManager, MikroORM, PrimaryKey, Property } from '@mikro-orm/postgresql';
import { EventEnvelope, EventHeaders, Topics, dlqTopic } from '@tally/contracts';
import { createLogger, newTraceparent } from '@tally/observability';
import { initOrm } from '@tally/persistence';
import { createTestDatabase, dropTestDatabase, expectEventually, infraFromEnv } from '@tally/testing';
import { EventConsumer, HandlerContext } from './consumer';
import { KafkaBus } from './kafka-bus';
import { MESSAGING_SCHEMA_SQL } from './schema.sql';
import { Ctx, EventOf, EventPattern, InboxTransport, Payload, RethrowEventErrors } from './transport';

@Entity({ tableName: 'it_steps' })
class ItStep {
  @PrimaryKey({ type: 'integer' }) seq!: number;
  @Property({ type: 'string' }) step!: string;
}

const infra = infraFromEnv();
const logger = createLogger('it-transport', process.env.TEST_LOG_LEVEL ?? 'silent');
const id = randomBytes(4).toString('hex');
const prefix = `it-${id}.`;
const dbName = `it_transport_${id}`;
const groupId = `it-${id}-transport`;

async function step(em: EntityManager, name: string): Promise<void> {
  await em.getConnection().execute('INSERT INTO it_steps (step) VALUES (?)', [name], 'run', em.getTransactionContext());
}

/** Counts how often an interceptor wrapped a handler: Nest's pipeline runs around ours. */
@Injectable()
class CountingInterceptor implements NestInterceptor {
  static calls = 0;
  intercept(_ctx: ExecutionContext, next: CallHandler): Observable<unknown> {
    return next.handle().pipe(tap(() => CountingInterceptor.calls++));
  }
}

@Injectable()
class Recorder {
  async record(em: EntityManager, name: string): Promise<void> {
    await step(em, name);
  }
}

@Controller()
class FirstHandlers {
  constructor(private readonly recorder: Recorder) {}

  @EventPattern('user.email_verified')
  @UseInterceptors(CountingInterceptor)
  async first(@Payload() e: EventOf<'user.email_verified'>, @Ctx() { em }: HandlerContext): Promise<void> {
    await this.recorder.record(em, `first:${e.data.email}`);
  }
}

@Controller()
class SecondHandlers {
  @EventPattern('user.email_verified')
  async second(@Payload() e: EventOf<'user.email_verified'>, @Ctx() { em }: HandlerContext): Promise<void> {
    // runs after the first handler, on its transaction: it sees the uncommitted row
    const rows = await em.getConnection().execute<{ n: string }[]>('SELECT count(*) AS n FROM it_steps WHERE step = ?', [`first:${e.data.email}`], 'all', em.getTransactionContext());
    await step(em, `second:${e.data.email}:saw=${rows[0].n}`);
    if (e.data.email.startsWith('poison')) throw new TypeError(`second handler refuses ${e.id}`);
  }
}

@Injectable()
class AuditHook implements OnModuleInit {
  readonly types = ['user.email_verified'] as const;
  constructor(private readonly consumer: EventConsumer) {}
  onModuleInit(): void {
    this.consumer.use(this);
  }
  async run(e: EventEnvelope, { em }: HandlerContext): Promise<void> {
    await step(em, `hook:${(e.data as { email: string }).email}`);
  }
}

let pool: Pool;
let orm: MikroORM;
let bus: KafkaBus;
let app: INestMicroservice;
let consumer: EventConsumer;
let transport: InboxTransport;

beforeAll(async () => {
  const url = await createTestDatabase(infra.databaseUrl, dbName);
  pool = new Pool({ connectionString: url, max: 2 });
  for (const sql of MESSAGING_SCHEMA_SQL) await pool.query(sql);
  await pool.query('CREATE TABLE it_steps (seq BIGSERIAL PRIMARY KEY, step TEXT NOT NULL)');
  orm = await initOrm({ databaseUrl: url, entities: [ItStep], migrations: [], poolMax: 4 });
  bus = new KafkaBus({ clientId: `it-${id}`, brokers: infra.kafkaBrokers.split(','), topicPrefix: prefix, logger, consumer: { sessionTimeout: 10000, heartbeatInterval: 1000, rebalanceTimeout: 10000 } });
  await bus.ensureTopics([{ name: Topics.authUser, partitions: 1 }]);
  consumer = new EventConsumer({ groupId, orm, bus, producer: bus.producer(), logger, maxAttempts: 2, retryDelayMs: 10 });
  transport = new InboxTransport(consumer, { logger });

  @Module({ controllers: [FirstHandlers, SecondHandlers], providers: [Recorder, AuditHook, CountingInterceptor, { provide: EventConsumer, useValue: consumer }] })
  class TestModule {}

  app = await NestFactory.createMicroservice(TestModule, { strategy: transport, logger: false });
  app.useGlobalFilters(new RethrowEventErrors());
  await app.listen();
  await expectEventually(() => expect(transport.isHealthy()).toBe(true), { timeoutMs: 30000, what: 'the consumer running' });
});

afterAll(async () => {
  await app?.close();
  await bus?.deleteTopicsWithPrefix().catch(() => undefined);
  await bus?.close();
  await orm?.close(true);
  await pool?.end();
  const admin = new Kafka({ clientId: `it-${id}-admin`, brokers: infra.kafkaBrokers.split(','), logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  await admin.deleteGroups([groupId]).catch(() => undefined);
  await admin.disconnect();
  await dropTestDatabase(infra.databaseUrl, dbName);
});

function verified(email: string): EventOf<'user.email_verified'> {
  const userId = randomUUID();
  return { id: randomUUID(), type: 'user.email_verified', source: 'it', time: new Date().toISOString(), subject: userId, data: { userId, email, verifiedAt: new Date().toISOString() }, specversion: '1.0' };
}

async function publish(e: EventOf<'user.email_verified'>): Promise<void> {
  await bus.producer().publish([
    { topic: Topics.authUser, key: e.subject, value: JSON.stringify(e), headers: { [EventHeaders.eventId]: e.id, [EventHeaders.eventType]: e.type, [EventHeaders.traceparent]: newTraceparent() } },
  ]);
}

async function steps(): Promise<string[]> {
  return (await pool.query<{ step: string }>('SELECT step FROM it_steps ORDER BY seq')).rows.map((r) => r.step);
}

describe('InboxTransport (@nestjs/microservices, PostgreSQL, Kafka)', () => {
  it('runs every @EventPattern handler of a type in sequence on one transaction, then the hooks, with Nest interceptors', async () => {
    const e = verified('ann@example.com');
    await publish(e);
    await expectEventually(async () => expect(await steps()).toEqual(['first:ann@example.com', 'second:ann@example.com:saw=1', 'hook:ann@example.com']), { timeoutMs: 20000 });
    expect(CountingInterceptor.calls).toBe(1);
    expect((await pool.query('SELECT count(*)::int AS n FROM inbox WHERE event_id = $1', [e.id])).rows[0].n).toBe(1);
  });

  it('a handler that throws rolls back the other handlers\' effects and dead-letters the event with its own error, not Nest\'s "Internal server error"', async () => {
    const dead: { headers: Record<string, string> }[] = [];
    const raw = new Kafka({ clientId: `it-${id}-raw`, brokers: infra.kafkaBrokers.split(','), logLevel: logLevel.NOTHING }).consumer({ groupId: `${groupId}-raw` });
    await raw.connect();
    await raw.subscribe({ topic: prefix + dlqTopic(Topics.authUser), fromBeginning: true });
    await raw.run({ eachMessage: async ({ message }) => void dead.push({ headers: Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)])) }) });
    try {
      const poison = verified('poison@example.com');
      await publish(poison);
      await expectEventually(() => expect(dead).toHaveLength(1), { timeoutMs: 20000, what: 'the dead letter' });
      expect(dead[0].headers[EventHeaders.dlqError]).toBe(`TypeError: second handler refuses ${poison.id}`);
      expect(dead[0].headers[EventHeaders.eventId]).toBe(poison.id);
      expect((await steps()).filter((s) => s.includes('poison'))).toEqual([]);
    } finally {
      await raw.disconnect();
      const admin = new Kafka({ clientId: `it-${id}-admin2`, brokers: infra.kafkaBrokers.split(','), logLevel: logLevel.NOTHING }).admin();
      await admin.connect();
      await admin.deleteGroups([`${groupId}-raw`]).catch(() => undefined);
      await admin.disconnect();
    }
  });

  it('refuses a handler for an event type the contracts do not declare', () => {
    expect(() => transport.addHandler('user.teleported', (async () => undefined) as never, true)).toThrow(/names no event type/);
  });
});
