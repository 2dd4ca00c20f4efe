import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { EventData, EventEnvelope, EventHeaders, EventTopics, EventType, EventActor } from '@tally/contracts';
import { childTraceparent, currentContext } from '@tally/observability';
import { assertValidEvent } from './validation';

export interface NewEvent<T extends EventType> {
  type: T;
  /** Aggregate id: the Kafka key, so one aggregate's events stay in order. */
  subject: string;
  data: EventData<T>;
  actor?: EventActor;
}

/** Who caused it: given explicitly, or taken from the request context (even when anonymous). */
function actorOf(given: EventActor | undefined, ctx: ReturnType<typeof currentContext>): { actor?: EventActor } {
  if (given) return { actor: given };
  if (!ctx || !(ctx.userId || ctx.ip || ctx.userAgent)) return {};
  return { actor: { userId: ctx.userId ?? null, ip: ctx.ip ?? null, userAgent: ctx.userAgent ?? null } };
}

/**
 * Writes events to the service's `outbox` table inside the caller's transaction, so the event
 * exists if and only if the state change committed. The relay publishes it later.
 */
export class OutboxWriter {
  constructor(private readonly source: string) {}

  async append<T extends EventType>(em: EntityManager, event: NewEvent<T>): Promise<EventEnvelope<T, EventData<T>>> {
    const trx = em.getTransactionContext();
    if (!trx) throw new Error('OutboxWriter.append must run inside a transaction (em.transactional)');
    const ctx = currentContext();
    const envelope: EventEnvelope<T, EventData<T>> = {
      id: randomUUID(),
      type: event.type,
      source: this.source,
      time: new Date().toISOString(),
      subject: event.subject,
      ...actorOf(event.actor, ctx),
      data: event.data,
      specversion: '1.0',
    };
    assertValidEvent(envelope);
    const headers: Record<string, string> = {
      [EventHeaders.eventId]: envelope.id,
      [EventHeaders.eventType]: envelope.type,
      [EventHeaders.traceparent]: childTraceparent(ctx?.traceparent),
    };
    if (ctx?.correlationId) headers[EventHeaders.correlationId] = ctx.correlationId;
    await em.getConnection().execute(
      'INSERT INTO outbox (id, topic, key, type, payload, headers) VALUES (?, ?, ?, ?, ?::jsonb, ?::jsonb)',
      [envelope.id, EventTopics[event.type], event.subject, event.type, JSON.stringify(envelope), JSON.stringify(headers)],
      'run',
      trx,
    );
    return envelope;
  }
}
