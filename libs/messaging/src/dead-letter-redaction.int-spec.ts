/**
 * Issue 7, defect 8: a handler's SQL error carries the values its statement inlined (here a reset
 * token, as `INSERT … VALUES ('<token>') - duplicate key …` and PostgreSQL's `Key (token)=(<token>)`).
 * After the retries, neither the logs nor the dead letter's `x-dlq-error` header may contain it.
 * Real PostgreSQL (MikroORM), a real Kafka broker, the service logger writing to memory.
 */
import { Writable } from 'node:stream';
import { randomBytes, randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { Kafka, logLevel } from 'kafkajs';
import { Entity, MikroORM, PrimaryKey } from '@mikro-orm/postgresql';
import { EventHeaders, Topics, dlqTopic } from '@tally/contracts';
import { createLogger } from '@tally/observability';
import { initOrm } from '@tally/persistence';
import { createTestDatabase, dropTestDatabase, expectEventually, infraFromEnv } from '@tally/testing';
import { EventConsumer } from './consumer';
import { KafkaBus } from './kafka-bus';
import { MESSAGING_SCHEMA_SQL } from './schema.sql';

@Entity({ tableName: 'it_reset_tokens' })
class ItResetToken {
  @PrimaryKey({ type: 'string' })
  token!: string;
}

const infra = infraFromEnv();
const TOPIC = Topics.authUser;

describe('dead letters and logs of a failing handler (PostgreSQL + Kafka)', () => {
  const id = randomBytes(4).toString('hex');
  const prefix = `it-${id}.`;
  const dbName = `it_redaction_${id}`;
  const groupId = `it-${id}-redaction`;
  const kafka = new Kafka({ clientId: `it-raw-${id}`, brokers: infra.kafkaBrokers.split(','), logLevel: logLevel.NOTHING });
  const lines: string[] = [];
  const logger = createLogger('it-redaction', 'info', new Writable({ write: (chunk, _enc, done) => void (lines.push(String(chunk)), done()) }));
  const undo: (() => Promise<unknown>)[] = [];
  let orm: MikroORM;
  let pool: Pool;
  let bus: KafkaBus;

  beforeAll(async () => {
    const dbUrl = await createTestDatabase(infra.databaseUrl, dbName);
    undo.push(() => dropTestDatabase(infra.databaseUrl, dbName));
    pool = new Pool({ connectionString: dbUrl, max: 2 });
    undo.push(() => pool.end());
    for (const sql of MESSAGING_SCHEMA_SQL) await pool.query(sql);
    await pool.query('CREATE TABLE it_reset_tokens (token TEXT PRIMARY KEY)');
    orm = await initOrm({ databaseUrl: dbUrl, entities: [ItResetToken], migrations: [], poolMax: 2 });
    undo.push(() => orm.close(true));
    bus = new KafkaBus({ clientId: `it-${id}`, brokers: infra.kafkaBrokers.split(','), topicPrefix: prefix, logger, consumer: { sessionTimeout: 10000, heartbeatInterval: 1000, rebalanceTimeout: 10000 } });
    undo.push(async () => {
      await bus.deleteTopicsWithPrefix().catch(() => undefined);
      await bus.close();
    });
    await bus.ensureTopics([{ name: TOPIC, partitions: 1 }]);
  });

  afterAll(async () => {
    for (const fn of undo.reverse()) await fn().catch(() => undefined);
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteGroups([groupId, `it-raw-${id}`]).catch(() => undefined);
    await admin.disconnect();
  });

  it('keeps an inlined token out of the logs and out of x-dlq-error', async () => {
    // A reset token as auth-service mints them: 32 random bytes, base64url.
    const token = randomBytes(32).toString('base64url');
    await pool.query('INSERT INTO it_reset_tokens (token) VALUES ($1)', [token]);

    const dead: Record<string, string>[] = [];
    const raw = kafka.consumer({ groupId: `it-raw-${id}`, sessionTimeout: 10000, heartbeatInterval: 1000, rebalanceTimeout: 10000 });
    await raw.connect();
    undo.push(() => raw.disconnect());
    await raw.subscribe({ topic: prefix + dlqTopic(TOPIC), fromBeginning: true });
    await raw.run({
      eachMessage: async ({ message: m }) => {
        dead.push(Object.fromEntries(Object.entries(m.headers ?? {}).map(([k, v]) => [k, String(Array.isArray(v) ? v[0] : v)])));
      },
    });

    const producer = bus.producer();
    const consumer = new EventConsumer({ groupId, orm, bus, producer, logger, maxAttempts: 2, retryDelayMs: 10 });
    consumer.on('user.email_verified', async (_env, ctx) => {
      // The same token again: the unique key refuses it, and the driver's message inlines it.
      await ctx.em.getConnection().execute('INSERT INTO it_reset_tokens (token) VALUES (?)', [token], 'run', ctx.em.getTransactionContext());
    });
    undo.push(() => consumer.stop());
    await consumer.start();

    const subject = randomUUID();
    const env = { id: randomUUID(), type: 'user.email_verified', source: 'it', time: new Date().toISOString(), subject, specversion: '1.0', data: { userId: subject, email: 'ann@example.com', verifiedAt: new Date().toISOString() } };
    await producer.publish([{ topic: TOPIC, key: subject, value: JSON.stringify(env), headers: { [EventHeaders.eventId]: env.id, [EventHeaders.eventType]: env.type } }]);

    await expectEventually(() => expect(dead).toHaveLength(1), { timeoutMs: 30000, what: 'the dead letter' });
    const error = dead[0][EventHeaders.dlqError];
    expect(error).toContain('duplicate key value violates unique constraint');
    expect(error).toContain('[REDACTED]');
    expect(error).not.toContain(token);

    const log = lines.join('');
    expect(log).toContain('dead-lettering');
    expect(log).toContain('duplicate key value violates unique constraint'); // the error is still logged, usefully
    expect(log).not.toContain(token);
  });
});
