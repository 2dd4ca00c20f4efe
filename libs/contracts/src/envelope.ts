/** Who caused an event, where known. */
export interface EventActor {
  userId?: string | null;
  ip?: string | null;
  userAgent?: string | null;
}

/**
 * The envelope every event travels in (ARCHITECTURE.md, "Events").
 * `data` is the type-specific payload, validated against its schema on publish and on receipt.
 */
export interface EventEnvelope<TType extends string = string, TData = unknown> {
  /** UUID of this event; consumers deduplicate on it. */
  id: string;
  /** Past tense, `<aggregate>.<verb>`, e.g. `user.registered`. */
  type: TType;
  /** The publishing service, e.g. `auth-service`. */
  source: string;
  /** ISO-8601 time the change was committed. */
  time: string;
  /** The aggregate id; also the Kafka message key. */
  subject: string;
  actor?: EventActor;
  data: TData;
  /** Envelope format version. */
  specversion: '1.0';
}

export const envelopeSchema = {
  $id: 'tally:envelope',
  type: 'object',
  required: ['id', 'type', 'source', 'time', 'subject', 'data', 'specversion'],
  additionalProperties: false,
  properties: {
    id: { type: 'string', format: 'uuid' },
    type: { type: 'string', pattern: '^[a-z][a-z0-9_]*(\\.[a-z][a-z0-9_]*)+$', maxLength: 100 },
    source: { type: 'string', minLength: 1, maxLength: 100 },
    time: { type: 'string', format: 'date-time' },
    subject: { type: 'string', minLength: 1, maxLength: 200 },
    specversion: { const: '1.0' },
    actor: {
      type: 'object',
      additionalProperties: false,
      properties: {
        userId: { type: ['string', 'null'] },
        ip: { type: ['string', 'null'] },
        userAgent: { type: ['string', 'null'] },
      },
    },
    data: { type: 'object' },
  },
} as const;

/** Kafka header names carried with every event. */
export const EventHeaders = {
  eventId: 'x-event-id',
  eventType: 'x-event-type',
  correlationId: 'x-correlation-id',
  traceparent: 'traceparent',
  /** On DLQ messages: why it was dead-lettered, and where it came from. */
  dlqError: 'x-dlq-error',
  dlqOriginalTopic: 'x-dlq-original-topic',
  dlqOriginalPartition: 'x-dlq-original-partition',
  dlqOriginalOffset: 'x-dlq-original-offset',
  dlqConsumerGroup: 'x-dlq-consumer-group',
  dlqFailedAt: 'x-dlq-failed-at',
  replayedFromDlq: 'x-replayed-from-dlq',
} as const;
