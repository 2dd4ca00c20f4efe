import { ALL_TOPICS, TopicConfig } from '@tally/contracts';
import { MessageBus } from './bus';

/** Creates every contract topic and its DLQ, if missing. Idempotent. */
export async function ensureContractTopics(bus: MessageBus): Promise<void> {
  await bus.ensureTopics(ALL_TOPICS.map((name) => ({ name, ...TopicConfig[name] })));
}
