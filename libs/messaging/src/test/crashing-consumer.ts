/**
 * Test fixture (consumer.int-spec.ts): a consumer process that applies events in batches of 100 and
 * SIGKILLs itself inside the transaction of the event whose email starts with `crash`, so a test can
 * show that a crash mid-batch loses nothing and applies nothing twice.
 */
import 'reflect-metadata';
import { Entity, MikroORM, PrimaryKey, Property } from '@mikro-orm/postgresql';
import { createLogger } from '@tally/observability';
import { EventConsumer } from '../consumer';
import { KafkaBus } from '../kafka-bus';

@Entity({ tableName: 'it_effects' })
class ItEffect {
  @PrimaryKey({ type: 'string' }) subject!: string;
  @Property({ type: 'integer' }) n!: number;
}

async function main(): Promise<void> {
  const env = process.env;
  const orm = await MikroORM.init({ clientUrl: env.IT_DATABASE_URL, entities: [ItEffect], allowGlobalContext: false, pool: { min: 0, max: 4 } });
  const logger = createLogger('it-crashing-consumer', 'silent');
  const bus = new KafkaBus({
    clientId: 'it-crashing-consumer',
    brokers: env.IT_BROKERS!.split(','),
    topicPrefix: env.IT_PREFIX,
    logger,
    consumer: { sessionTimeout: 10000, heartbeatInterval: 1000, rebalanceTimeout: 10000 },
  });
  const consumer = new EventConsumer({ groupId: env.IT_GROUP!, orm, bus, producer: bus.producer(), logger, batchSize: 100, retryDelayMs: 10 });
  consumer.on('user.email_verified', async (event, { em }) => {
    await em.getConnection().execute(
      'INSERT INTO it_effects (subject, n) VALUES (?, 1) ON CONFLICT (subject) DO UPDATE SET n = it_effects.n + 1',
      [event.id],
      'run',
      em.getTransactionContext(),
    );
    if (event.data.email.startsWith('crash')) process.kill(process.pid, 'SIGKILL');
  });
  await consumer.start();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
