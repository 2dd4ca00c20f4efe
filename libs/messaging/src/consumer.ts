import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import type { Logger } from 'pino';
import { EventData, EventEnvelope, EventHeaders, EventTopics, EventType, dlqTopic, isEventType } from '@tally/contracts';
import { Metrics, childTraceparent, runWithContext, sanitizeCorrelationId } from '@tally/observability';
import { IncomingMessage, MessageBus, MessageConsumer, MessageProducer } from './bus';
import { EventValidationError, assertValidEvent } from './validation';

export interface HandlerContext {
  /** Transactional EntityManager: the effect commits together with the inbox record. */
  em: EntityManager;
  /** Runs after the transaction committed (e.g. enqueue a job); failures are logged, not retried here. */
  afterCommit(fn: () => Promise<void>): void;
}

export type EventHandler<T extends EventType> = (event: EventEnvelope<T, EventData<T>>, ctx: HandlerContext) => Promise<void>;

export interface EventConsumerOptions {
  /** Consumer group, also the inbox's consumer name: `<service>` or `<service>.<purpose>`. */
  groupId: string;
  orm: MikroORM;
  bus: MessageBus;
  /** For dead letters. */
  producer: MessageProducer;
  logger: Logger;
  metrics?: Metrics;
  maxAttempts?: number;
  /** First retry delay; doubles per attempt. */
  retryDelayMs?: number;
}

const AFTER_COMMIT_TIMEOUT_MS = 5000;
const MAX_RETRY_DELAY_MS = 5000;

// Connection failures, server shutdown/restart, too many connections, a database being restored (3D000).
const TRANSIENT_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', '57P01', '57P02', '57P03', '08000', '08001', '08003', '08006', '53300', '3D000']);

/** Infrastructure failures (database down) delay work; they never send an event to the DLQ. */
function isTransient(err: unknown): boolean {
  const e = err as { code?: string; cause?: { code?: string }; name?: string; message?: string };
  if (e?.code && TRANSIENT_CODES.has(e.code)) return true;
  if (e?.cause?.code && TRANSIENT_CODES.has(e.cause.code)) return true;
  return /ECONNREFUSED|Connection terminated|timeout acquiring a connection|connect ETIMEDOUT/i.test(e?.message ?? '');
}

/**
 * Consumes events for one consumer group: validates them, applies each handler's effect and
 * records the event id in `inbox` in one transaction (a redelivered event has no second effect),
 * retries a failing message a bounded number of times and then dead-letters it to `<topic>.dlq`
 * with its error, so the partition moves on.
 */
export class EventConsumer {
  private readonly handlers = new Map<string, EventHandler<any>>();
  private consumer?: MessageConsumer;
  private readonly maxAttempts: number;
  private readonly retryDelayMs: number;

  constructor(private readonly opts: EventConsumerOptions) {
    this.maxAttempts = opts.maxAttempts ?? 5;
    this.retryDelayMs = opts.retryDelayMs ?? 200;
  }

  on<T extends EventType>(type: T, handler: EventHandler<T>): this {
    if (this.handlers.has(type)) throw new Error(`handler for ${type} already registered`);
    this.handlers.set(type, handler);
    return this;
  }

  topics(): string[] {
    return [...new Set([...this.handlers.keys()].map((t) => EventTopics[t as EventType]))];
  }

  async start(): Promise<void> {
    if (!this.handlers.size) return;
    this.consumer = this.opts.bus.consumer(this.opts.groupId);
    await this.opts.producer.connect().catch(() => undefined);
    await this.consumer.run(this.topics(), (msg) => this.handle(msg));
  }

  async stop(): Promise<void> {
    await this.consumer?.stop();
    this.consumer = undefined;
  }

  /** Processes one message; exported for tests of redelivery. Throws only on transient failures. */
  async handle(msg: IncomingMessage): Promise<void> {
    const log = this.opts.logger;
    let envelope: EventEnvelope;
    try {
      const parsed: unknown = msg.value ? JSON.parse(msg.value.toString('utf8')) : null;
      // A type this build does not know (a newer producer added it) is not ours to handle: skip it.
      const type = (parsed as { type?: unknown } | null)?.type;
      if (typeof type === 'string' && !isEventType(type) && !this.handlers.has(type)) {
        this.opts.metrics?.consumerHandled.inc({ topic: msg.topic, result: 'ignored' });
        return;
      }
      assertValidEvent(parsed);
      envelope = parsed;
    } catch (err) {
      // A poison message: no retry can fix it.
      await this.deadLetter(msg, err instanceof EventValidationError ? err.message : `unparseable: ${(err as Error).message}`);
      return;
    }
    const handler = this.handlers.get(envelope.type);
    if (!handler) {
      this.opts.metrics?.consumerHandled.inc({ topic: msg.topic, result: 'ignored' });
      return;
    }
    const ctx = {
      correlationId: sanitizeCorrelationId(msg.headers[EventHeaders.correlationId]),
      traceparent: childTraceparent(msg.headers[EventHeaders.traceparent]),
      userId: envelope.actor?.userId ?? undefined,
    };
    await runWithContext(ctx, async () => {
      for (let attempt = 1; ; attempt++) {
        try {
          const applied = await this.applyOnce(envelope, handler);
          this.opts.metrics?.consumerHandled.inc({ topic: msg.topic, result: applied ? 'applied' : 'duplicate' });
          if (applied) this.opts.metrics?.eventLag.observe({ topic: msg.topic }, (Date.now() - Date.parse(envelope.time)) / 1000);
          return;
        } catch (err) {
          if (isTransient(err)) {
            log.warn({ err: (err as Error).message, eventId: envelope.id }, 'transient failure; message will be redelivered');
            throw err;
          }
          if (attempt >= this.maxAttempts) {
            log.error({ err, eventId: envelope.id, type: envelope.type, attempts: attempt }, 'handler keeps failing; dead-lettering');
            await this.deadLetter(msg, `${(err as Error).name}: ${(err as Error).message}`);
            return;
          }
          log.warn({ err: (err as Error).message, eventId: envelope.id, attempt }, 'handler failed; retrying');
          // Capped backoff, in short steps with heartbeats, so retrying never gets us evicted from the group.
          let wait = Math.min(this.retryDelayMs * 2 ** (attempt - 1), MAX_RETRY_DELAY_MS);
          while (wait > 0) {
            const step = Math.min(wait, 1000);
            await new Promise((r) => setTimeout(r, step));
            wait -= step;
            await msg.heartbeat?.().catch(() => undefined);
          }
        }
      }
    });
  }

  private async applyOnce(envelope: EventEnvelope, handler: EventHandler<any>): Promise<boolean> {
    const after: (() => Promise<void>)[] = [];
    const applied = await this.opts.orm.em.fork().transactional(async (em) => {
      const inserted = await em.getConnection().execute<{ event_id: string }[]>(
        `INSERT INTO inbox (consumer, event_id, topic, type, event_time) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (consumer, event_id) DO NOTHING RETURNING event_id`,
        [this.opts.groupId, envelope.id, EventTopics[envelope.type as EventType], envelope.type, envelope.time],
        'all',
        em.getTransactionContext(),
      );
      if (!inserted.length) return false;
      await handler(envelope, { em, afterCommit: (fn) => after.push(fn) });
      return true;
    });
    for (const fn of after) {
      // Bounded: a hanging step (e.g. Redis down) must not hold up the partition.
      await Promise.race([fn(), new Promise((_, reject) => setTimeout(() => reject(new Error('after-commit step timed out')), AFTER_COMMIT_TIMEOUT_MS).unref())])
        .catch((err) => this.opts.logger.warn({ err: (err as Error).message, eventId: envelope.id }, 'after-commit step failed; its sweeper will retry'));
    }
    return applied;
  }

  private async deadLetter(msg: IncomingMessage, error: string): Promise<void> {
    this.opts.metrics?.consumerHandled.inc({ topic: msg.topic, result: 'dead_lettered' });
    await this.opts.producer.publish([
      {
        topic: dlqTopic(msg.topic),
        key: msg.key ?? '',
        value: msg.value ? msg.value.toString('utf8') : '',
        headers: {
          ...msg.headers,
          [EventHeaders.dlqError]: error.slice(0, 2000),
          [EventHeaders.dlqOriginalTopic]: msg.topic,
          [EventHeaders.dlqOriginalPartition]: String(msg.partition),
          [EventHeaders.dlqOriginalOffset]: msg.offset,
          [EventHeaders.dlqConsumerGroup]: this.opts.groupId,
          [EventHeaders.dlqFailedAt]: new Date().toISOString(),
        },
      },
    ]);
  }
}
