/**
 * `npm run topics`: creates every contract topic and its DLQ on KAFKA_BROKERS (default
 * 127.0.0.1:9092) with KAFKA_TOPIC_PREFIX, if missing. Idempotent; services also do it at start.
 */
import { ALL_TOPICS } from '@tally/contracts';
import { KafkaBus, ensureContractTopics } from '@tally/messaging';
import { createLogger } from '@tally/observability';

async function main() {
  const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
  const prefix = process.env.KAFKA_TOPIC_PREFIX ?? '';
  const bus = new KafkaBus({ clientId: 'tally-topics', brokers, topicPrefix: prefix, logger: createLogger('topics', 'warn') });
  try {
    await ensureContractTopics(bus);
    console.log(`topics ready on ${brokers.join(',')}: ${ALL_TOPICS.map((t) => prefix + t).join(', ')} (+ .dlq each)`);
  } finally {
    await bus.close();
  }
}

main().catch((err) => {
  console.error(`could not create topics: ${err.message}`);
  process.exit(1);
});
