import { EventHeaders, envelopeSchema } from './envelope';
import { EventDeclaration, EventDeclarations } from './events';
import { ALL_TOPICS, DLQ_RETENTION_MS, TopicConfig, TopicName, dlqTopic } from './topics';

/**
 * The AsyncAPI 3.0.0 document of every topic, generated from the event and topic declarations
 * (events.ts, topics.ts), so it cannot drift from what is validated and published. Pure data:
 * the api-gateway serves it as `GET /asyncapi.json`.
 *
 * - a channel per topic (address = topic name), its messages = the event types published on it,
 *   each payload being the envelope (envelope.ts) with `type` fixed and `data` = the event's schema;
 * - a channel per dead-letter topic `<topic>.dlq`;
 * - a `send` operation per topic, by the service that owns it, and one per DLQ, by consumers;
 * - the Kafka key (= the envelope's `subject`) and the Kafka headers of every message.
 */

const KAFKA_BINDING_VERSION = '0.5.0';

export interface AsyncApiOptions {
  /** The document's version (info.version). */
  version?: string;
  /** Kafka brokers to list under `servers`, e.g. `{ local: { host: '127.0.0.1:9092', description: '…' } }`. */
  servers?: Record<string, { host: string; description?: string }>;
}

type Json = Record<string, unknown>;

/** The generated document (the parts callers look at are typed; the rest is AsyncAPI JSON). */
export interface AsyncApiDocument {
  asyncapi: '3.0.0';
  info: { title: string; version: string; description: string };
  defaultContentType: 'application/json';
  servers?: Json;
  channels: Json;
  operations: Json;
  components: { messages: Json; schemas: Json; correlationIds: Json };
  [key: string]: unknown;
}

/** A deep copy, so callers (and AsyncAPI tooling that dereferences in place) never share or change the contracts' objects. */
function copy<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

const ref = ($ref: string) => ({ $ref });
/** JSON Pointer escaping of one reference token (RFC 6901). */
const token = (s: string) => s.replace(/~/g, '~0').replace(/\//g, '~1');

const HEADER_DESCRIPTIONS = {
  [EventHeaders.traceparent]: 'W3C trace context of the change that produced the event.',
  [EventHeaders.correlationId]: 'The request id (`x-request-id`) of the HTTP request that caused the change, where there was one.',
  [EventHeaders.eventId]: 'The envelope `id`; consumers deduplicate on it.',
  [EventHeaders.eventType]: 'The envelope `type`.',
} as const;

function eventHeadersSchema(): Json {
  return {
    type: 'object',
    required: [EventHeaders.eventId, EventHeaders.eventType, EventHeaders.traceparent],
    properties: {
      [EventHeaders.traceparent]: {
        type: 'string',
        pattern: '^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$',
        description: HEADER_DESCRIPTIONS[EventHeaders.traceparent],
      },
      [EventHeaders.correlationId]: { type: 'string', description: HEADER_DESCRIPTIONS[EventHeaders.correlationId] },
      [EventHeaders.eventId]: { type: 'string', format: 'uuid', description: HEADER_DESCRIPTIONS[EventHeaders.eventId] },
      [EventHeaders.eventType]: { type: 'string', description: HEADER_DESCRIPTIONS[EventHeaders.eventType] },
    },
  };
}

function deadLetterHeadersSchema(): Json {
  const base = eventHeadersSchema();
  return {
    type: 'object',
    description: 'The original message headers, plus where the message came from and why it was dead-lettered.',
    required: [EventHeaders.dlqError, EventHeaders.dlqOriginalTopic, EventHeaders.dlqOriginalPartition, EventHeaders.dlqOriginalOffset, EventHeaders.dlqConsumerGroup, EventHeaders.dlqFailedAt],
    properties: {
      ...(base.properties as Json),
      [EventHeaders.dlqError]: { type: 'string', description: 'Why the consumer gave up (the last error, redacted).' },
      [EventHeaders.dlqOriginalTopic]: { type: 'string', description: 'The topic the message was read from.' },
      [EventHeaders.dlqOriginalPartition]: { type: 'string', pattern: '^[0-9]+$', description: 'Its partition.' },
      [EventHeaders.dlqOriginalOffset]: { type: 'string', pattern: '^[0-9]+$', description: 'Its offset.' },
      [EventHeaders.dlqConsumerGroup]: { type: 'string', description: 'The consumer group that gave up on it.' },
      [EventHeaders.dlqFailedAt]: { type: 'string', format: 'date-time', description: 'When it was dead-lettered.' },
    },
  };
}

/** The envelope of one event type: `type` fixed to it, `data` its payload schema. */
function envelopeOf(d: EventDeclaration): Json {
  const { $id: _id, ...envelope } = copy(envelopeSchema) as unknown as Json & { $id?: string; properties: Json };
  return {
    ...envelope,
    title: `${d.type} envelope`,
    properties: {
      ...envelope.properties,
      type: { const: d.type },
      data: copy(d.schema),
    },
  };
}

function messageId(type: string): string {
  return type;
}

function eventMessage(d: EventDeclaration): Json {
  const topic = TopicConfig[d.topic];
  return {
    name: d.type,
    title: d.type,
    summary: d.description,
    contentType: 'application/json',
    correlationId: ref('#/components/correlationIds/correlationId'),
    headers: ref('#/components/schemas/EventHeaders'),
    payload: envelopeOf(d),
    bindings: {
      kafka: {
        key: { type: 'string', description: `The envelope's subject: the ${topic.key}.` },
        bindingVersion: KAFKA_BINDING_VERSION,
      },
    },
  };
}

function deadLetterMessage(): Json {
  return {
    name: 'dead-letter',
    title: 'Dead letter',
    summary:
      'A message a consumer could not process after bounded retries, copied unchanged (key, value, original headers) from its topic. ' +
      'It may not be a valid event: that can be why it was dead-lettered. Replay with `npm run dlq:replay -- <topic>`.',
    contentType: 'application/json',
    headers: ref('#/components/schemas/DeadLetterHeaders'),
    payload: { description: 'The original message value, unchanged.' },
    bindings: { kafka: { key: { type: 'string', description: 'The original message key.' }, bindingVersion: KAFKA_BINDING_VERSION } },
  };
}

function readersText(topic: TopicName): string {
  const t = TopicConfig[topic];
  if (t.readers === 'any') return 'Any service may consume it.';
  return `Carries secrets: only ${t.readers.join(', ')} may consume it.`;
}

function topicChannel(topic: TopicName, events: EventDeclaration[]): Json {
  const t = TopicConfig[topic];
  return {
    address: topic,
    title: topic,
    description: `${t.description} Keyed by ${t.key}, so one aggregate's events stay in order. ${readersText(topic)}`,
    messages: Object.fromEntries(events.map((d) => [messageId(d.type), ref(`#/components/messages/${token(messageId(d.type))}`)])),
    tags: [{ name: t.owner }],
    bindings: {
      kafka: {
        topic,
        partitions: t.partitions,
        topicConfiguration: { 'cleanup.policy': [t.compacted ? 'compact' : 'delete'] },
        bindingVersion: KAFKA_BINDING_VERSION,
      },
    },
    'x-owner': t.owner,
    'x-carries-secrets': t.carriesSecrets,
    'x-readers': t.readers,
  };
}

function dlqChannel(topic: TopicName): Json {
  const t = TopicConfig[topic];
  return {
    address: dlqTopic(topic),
    title: dlqTopic(topic),
    description: `Dead letters of ${topic}: messages a consumer gave up on after bounded retries. Kept ${DLQ_RETENTION_MS / (24 * 3600 * 1000)} days. ${readersText(topic)}`,
    messages: { 'dead-letter': ref('#/components/messages/dead-letter') },
    tags: [{ name: t.owner }],
    bindings: {
      kafka: {
        topic: dlqTopic(topic),
        partitions: 1,
        topicConfiguration: { 'cleanup.policy': ['delete'], 'retention.ms': DLQ_RETENTION_MS },
        bindingVersion: KAFKA_BINDING_VERSION,
      },
    },
    'x-carries-secrets': t.carriesSecrets,
    'x-readers': t.readers,
  };
}

/** The AsyncAPI 3.0.0 document of every topic and event (a fresh object on every call). */
export function asyncApiDocument(opts: AsyncApiOptions = {}): AsyncApiDocument {
  const channels: Json = {};
  const operations: Json = {};
  for (const topic of ALL_TOPICS) {
    const t = TopicConfig[topic];
    const events: EventDeclaration[] = EventDeclarations.filter((d) => d.topic === topic);
    channels[topic] = topicChannel(topic, events);
    channels[dlqTopic(topic)] = dlqChannel(topic);
    operations[`${topic}.send`] = {
      action: 'send',
      channel: ref(`#/channels/${token(topic)}`),
      title: `${t.owner} publishes on ${topic}`,
      summary: `${t.owner} publishes these events through its transactional outbox, validated strictly against their schemas.`,
      messages: events.map((d) => ref(`#/channels/${token(topic)}/messages/${token(messageId(d.type))}`)),
      tags: [{ name: t.owner }],
    };
    operations[`${dlqTopic(topic)}.send`] = {
      action: 'send',
      channel: ref(`#/channels/${token(dlqTopic(topic))}`),
      title: `Consumers of ${topic} dead-letter what they cannot process`,
      messages: [ref(`#/channels/${token(dlqTopic(topic))}/messages/dead-letter`)],
      tags: [{ name: t.owner }],
    };
  }
  const servers = opts.servers
    ? Object.fromEntries(Object.entries(opts.servers).map(([name, s]) => [name, { host: s.host, protocol: 'kafka', ...(s.description ? { description: s.description } : {}) }]))
    : undefined;
  return {
    asyncapi: '3.0.0',
    info: {
      title: 'Tally events',
      version: opts.version ?? '1.0.0',
      description: [
        'Every state change other services care about, as published to Kafka through each service\'s transactional outbox.',
        '',
        '- Topics are `<service>.<aggregate>.v<N>`, keyed by the aggregate id (the envelope\'s `subject`), so one aggregate\'s events stay in order. A breaking change is a new topic.',
        '- Every message value is the JSON envelope (`id`, `type`, `source`, `time`, `subject`, `actor`, `data`, `specversion`); `data` is the event type\'s payload.',
        '- Headers: `traceparent`, `x-correlation-id`, `x-event-id`, `x-event-type`.',
        '- Publishers validate strictly (no unknown fields); consumers tolerate fields they do not know, so adding an optional field is not a breaking change.',
        '- Consumers deduplicate on the envelope `id`. A message that keeps failing goes to `<topic>.dlq` after bounded retries.',
      ].join('\n'),
    },
    defaultContentType: 'application/json',
    ...(servers ? { servers } : {}),
    channels,
    operations,
    components: {
      messages: {
        ...Object.fromEntries(EventDeclarations.map((d) => [messageId(d.type), eventMessage(d)])),
        'dead-letter': deadLetterMessage(),
      },
      schemas: {
        EventHeaders: eventHeadersSchema(),
        DeadLetterHeaders: deadLetterHeadersSchema(),
      },
      correlationIds: {
        correlationId: { description: 'The request that caused the change.', location: `$message.header#/${EventHeaders.correlationId}` },
      },
    },
  };
}
