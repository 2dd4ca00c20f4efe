/**
 * `npm run dlq:replay -- <topic> [--group <consumer-group>] [--dry-run]`
 *
 * Re-publishes the dead letters of <topic> (from `<topic>.dlq`) to <topic>, once each: the replay
 * keeps its position in its own consumer group, so running it again replays only newer dead
 * letters. Consumers' inboxes make an already-applied event harmless. With --group, only the
 * letters that group dead-lettered are replayed. Uses KAFKA_BROKERS and KAFKA_TOPIC_PREFIX.
 */
import { ALL_TOPICS } from '@tally/contracts';
import { KafkaBus } from '@tally/messaging';
import { createLogger } from '@tally/observability';

function usage(): never {
  console.error(`usage: npm run dlq:replay -- <topic> [--group <consumer-group>] [--dry-run]\ntopics: ${ALL_TOPICS.join(', ')}`);
  process.exit(2);
}

async function main() {
  const args = process.argv.slice(2);
  const topic = args.find((a) => !a.startsWith('--') && args[args.indexOf(a) - 1] !== '--group');
  if (!topic || !(ALL_TOPICS as readonly string[]).includes(topic)) usage();
  const gi = args.indexOf('--group');
  const onlyGroup = gi >= 0 ? args[gi + 1] : undefined;
  if (gi >= 0 && !onlyGroup) usage();
  const dryRun = args.includes('--dry-run');
  const bus = new KafkaBus({
    clientId: 'tally-dlq-replay',
    brokers: (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(','),
    topicPrefix: process.env.KAFKA_TOPIC_PREFIX ?? '',
    logger: createLogger('dlq-replay', 'fatal'),
  });
  try {
    const { replayed, skipped } = await bus.replayDlq(topic, { onlyGroup, dryRun });
    console.log(`${dryRun ? 'would replay' : 'replayed'} ${replayed} dead letter(s) of ${topic}${onlyGroup ? ` for ${onlyGroup}` : ''}; ${skipped} left for other groups`);
  } finally {
    await bus.close();
  }
}

main().catch((err) => {
  console.error(`dlq replay failed: ${err.message}`);
  process.exit(1);
});
