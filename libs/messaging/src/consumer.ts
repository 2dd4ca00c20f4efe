import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import type { Logger } from 'pino';
import { EventData, EventEnvelope, EventHeaders, EventTopics, EventType, dlqTopic, isEventType } from '@tally/contracts';
import { Metrics, childTraceparent, redactErrorText, runWithContext, sanitizeCorrelationId } from '@tally/observability';
import { IncomingBatch, IncomingMessage, MessageBus, MessageConsumer, MessageProducer } from './bus';
import { EventValidationError, assertReadableEvent } from './validation';

export interface HandlerContext {
  /** Transactional EntityManager: the effect commits together with the inbox record (and the rest of its batch). */
  em: EntityManager;
  /** Runs after the transaction committed (e.g. enqueue a job); failures are logged, not retried here. */
  afterCommit(fn: () => Promise<void>): void;
}

export type EventHandler<T extends EventType> = (event: EventEnvelope<T, EventData<T>>, ctx: HandlerContext) => Promise<void>;

/** Runs for every event of the given types, after that event's handlers, in the same transaction (e.g. an audit trail). */
export interface EventHook {
  types: readonly EventType[];
  run(event: EventEnvelope, ctx: HandlerContext): Promise<void>;
}

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
  /** Most events applied in one transaction. */
  batchSize?: number;
}

const AFTER_COMMIT_TIMEOUT_MS = 5000;
const MAX_RETRY_DELAY_MS = 5000;

// Connection failures, server shutdown/restart, too many connections, a database being restored (3D000).
const TRANSIENT_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', '57P01', '57P02', '57P03', '08000', '08001', '08003', '08006', '53300', '3D000']);

/** Infrastructure failures (database down) delay work; they never send an event to the DLQ. */
export function isTransient(err: unknown): boolean {
  const e = err as { code?: string; cause?: { code?: string }; name?: string; message?: string };
  if (e?.code && TRANSIENT_CODES.has(e.code)) return true;
  if (e?.cause?.code && TRANSIENT_CODES.has(e.cause.code)) return true;
  return /ECONNREFUSED|Connection terminated|timeout acquiring a connection|connect ETIMEDOUT/i.test(e?.message ?? '');
}

/** One decoded message of a batch. */
interface Item {
  msg: IncomingMessage;
  envelope: EventEnvelope;
}

/** A handler failed for good inside a batch transaction: roll it back and isolate the event. */
class IsolateEvent extends Error {
  constructor(readonly index: number, override readonly cause: unknown) {
    super('isolate event');
  }
}

type Outcome = { ok: true } | { ok: false; index: number; error: unknown };

function describeError(err: unknown): string {
  const e = err as Error;
  return `${e?.name ?? 'Error'}: ${e?.message ?? String(err)}`;
}

const keyOf = (item: Item): string => item.msg.key ?? item.envelope.subject;

/**
 * Consumes events for one consumer group, a partition's batch at a time: validates them (tolerating
 * fields this build does not know), and applies the effects of up to `batchSize` events together with
 * their `inbox` records in one transaction, so a redelivered event has no second effect. Several
 * handlers for one event type run in sequence on that transaction's EntityManager, then the hooks.
 *
 * A handler that fails for good is isolated: the batch's transaction is rolled back and applied again
 * without that event and without the later events of the same aggregate (per-aggregate order); those
 * are then applied one at a time, the failing one retried a bounded number of times and dead-lettered
 * to `<topic>.dlq` with its error, so the partition moves on. Infrastructure failures (database down)
 * are not the event's fault: the batch is delivered again instead. So a handler may run more than once for
 * an event (a rolled-back attempt), but its effect commits once: handlers change nothing outside the
 * transaction, and anything slow or external goes into `afterCommit` (which runs once, after the commit).
 */
export class EventConsumer {
  private readonly handlers = new Map<string, EventHandler<any>[]>();
  private readonly hooks: EventHook[] = [];
  private consumer?: MessageConsumer;
  private readonly maxAttempts: number;
  private readonly retryDelayMs: number;
  private readonly batchSize: number;

  constructor(private readonly opts: EventConsumerOptions) {
    this.maxAttempts = opts.maxAttempts ?? 5;
    this.retryDelayMs = opts.retryDelayMs ?? 200;
    this.batchSize = opts.batchSize ?? 200;
  }

  get groupId(): string {
    return this.opts.groupId;
  }

  /** Adds a handler for `type`; several handlers of one type run in the order they were added. */
  on<T extends EventType>(type: T, handler: EventHandler<T>): this {
    const list = this.handlers.get(type) ?? [];
    list.push(handler);
    this.handlers.set(type, list);
    return this;
  }

  use(hook: EventHook): this {
    this.hooks.push(hook);
    return this;
  }

  /** Event types this consumer acts on. */
  types(): EventType[] {
    return [...new Set<EventType>([...(this.handlers.keys() as Iterable<EventType>), ...this.hooks.flatMap((h) => h.types)])];
  }

  topics(): string[] {
    return [...new Set(this.types().map((t) => EventTopics[t]))];
  }

  /** `stopped` before start and after stop; `crashed` when the Kafka client gave up (the owner restarts it). */
  state(): 'stopped' | 'starting' | 'running' | 'crashed' {
    return this.consumer?.state() ?? 'stopped';
  }

  async start(onCrash?: (err: Error) => void): Promise<void> {
    if (!this.types().length) return;
    this.consumer = this.opts.bus.consumer(this.opts.groupId);
    if (onCrash) this.consumer.onCrash(onCrash);
    await this.opts.producer.connect().catch(() => undefined);
    await this.consumer.run(this.topics(), (batch) => this.handleBatch(batch));
  }

  async stop(): Promise<void> {
    await this.consumer?.stop();
    this.consumer = undefined;
  }

  private wants(type: string): boolean {
    return this.handlers.has(type) || this.hooks.some((h) => (h.types as readonly string[]).includes(type));
  }

  /** Processes one partition's batch. Throws only on transient failures (the unresolved rest is redelivered). */
  async handleBatch(batch: IncomingBatch): Promise<void> {
    for (let start = 0; start < batch.messages.length; start += this.batchSize) {
      if (!batch.isActive()) return;
      const chunk = batch.messages.slice(start, start + this.batchSize);
      const items: Item[] = [];
      for (const msg of chunk) {
        const item = await this.decode(msg);
        if (item) items.push(item);
      }
      await this.applyChunk(items, batch);
      batch.resolveOffset(chunk[chunk.length - 1].offset);
      await batch.heartbeat().catch(() => undefined);
    }
  }

  /** Processes one message on its own (tests of redelivery use it). Throws only on transient failures. */
  async handle(msg: IncomingMessage): Promise<void> {
    const item = await this.decode(msg);
    if (item) await this.applyChunk([item], { heartbeat: msg.heartbeat ?? (async () => undefined), isActive: () => true });
  }

  /** Parses and validates a message; dead-letters a poison one and skips types nobody here handles. */
  private async decode(msg: IncomingMessage): Promise<Item | undefined> {
    let parsed: unknown;
    try {
      parsed = msg.value ? JSON.parse(msg.value.toString('utf8')) : null;
      // A type this build does not know (a newer producer added it), or one we do not act on: skip it.
      const type = (parsed as { type?: unknown } | null)?.type;
      if (typeof type === 'string' && (!isEventType(type) || !this.wants(type))) {
        this.opts.metrics?.consumerHandled.inc({ topic: msg.topic, result: 'ignored' });
        return undefined;
      }
      assertReadableEvent(parsed);
    } catch (err) {
      // A poison message: no retry can fix it.
      await this.deadLetter(msg, err instanceof EventValidationError ? err.message : `unparseable: ${(err as Error).message}`);
      return undefined;
    }
    return { msg, envelope: parsed as EventEnvelope };
  }

  /** Applies a chunk in one transaction, isolating the events whose handlers fail for good. */
  private async applyChunk(items: Item[], batch: Pick<IncomingBatch, 'heartbeat' | 'isActive'>): Promise<void> {
    // The same event twice in one chunk (a producer retry): the inbox makes the second a duplicate.
    let candidates = items;
    const isolated: { item: Item; attempts: number; error?: unknown }[] = [];
    const blockedKeys = new Set<string>();
    for (;;) {
      const outcome = await this.applyTogether(candidates);
      if (outcome.ok) break;
      const failed = candidates[outcome.index];
      blockedKeys.add(keyOf(failed));
      const next: Item[] = [];
      candidates.forEach((c, i) => {
        if (i === outcome.index) isolated.push({ item: c, attempts: 1, error: outcome.error });
        else if (i > outcome.index && blockedKeys.has(keyOf(c))) isolated.push({ item: c, attempts: 0 });
        else next.push(c);
      });
      candidates = next;
    }
    isolated.sort((a, b) => (BigInt(a.item.msg.offset) < BigInt(b.item.msg.offset) ? -1 : 1));
    for (const { item, attempts, error } of isolated) {
      if (!batch.isActive()) throw new Error('partition revoked while retrying; the rest is redelivered');
      await this.applyAlone(item, attempts, error, batch);
    }
  }

  /** One event on its own: bounded retries with capped backoff (heartbeating), then the DLQ. */
  private async applyAlone(item: Item, attemptsSoFar: number, lastError: unknown, batch: Pick<IncomingBatch, 'heartbeat'>): Promise<void> {
    const log = this.opts.logger;
    let error = lastError;
    for (let attempt = attemptsSoFar; ; ) {
      if (attempt >= this.maxAttempts) {
        log.error({ err: error, eventId: item.envelope.id, type: item.envelope.type, attempts: attempt }, 'handler keeps failing; dead-lettering');
        await this.deadLetter(item.msg, describeError(error));
        return;
      }
      if (attempt > 0) {
        log.warn({ err: (error as Error)?.message, eventId: item.envelope.id, attempt }, 'handler failed; retrying');
        // Capped backoff, in short steps with heartbeats, so retrying never gets us evicted from the group.
        let wait = Math.min(this.retryDelayMs * 2 ** (attempt - 1), MAX_RETRY_DELAY_MS);
        while (wait > 0) {
          const step = Math.min(wait, 1000);
          await new Promise((r) => setTimeout(r, step));
          wait -= step;
          await batch.heartbeat().catch(() => undefined);
        }
      }
      const outcome = await this.applyTogether([item]);
      if (outcome.ok) return;
      attempt++;
      error = outcome.error;
    }
  }

  /**
   * One transaction: the inbox rows of every candidate in one statement (those already there are
   * duplicates), then each new event's handlers and hooks in order. Commits all or, when a handler
   * fails for good, nothing, and says which event failed. Transient failures are thrown.
   */
  private async applyTogether(candidates: Item[]): Promise<Outcome> {
    if (!candidates.length) return { ok: true };
    const after: { item: Item; fn: () => Promise<void> }[] = [];
    let fresh: Set<string>;
    try {
      fresh = await this.opts.orm.em.fork().transactional(async (em) => {
        const inserted = await this.insertInbox(em, candidates);
        const seen = new Set<string>();
        for (const [index, item] of candidates.entries()) {
          const id = item.envelope.id;
          if (!inserted.has(id) || seen.has(id)) continue;
          seen.add(id);
          try {
            await runWithContext(this.contextOf(item), () => this.runHandlers(item, em, (fn) => after.push({ item, fn })));
          } catch (err) {
            if (isTransient(err)) throw err;
            throw new IsolateEvent(index, err);
          }
        }
        return inserted;
      });
    } catch (err) {
      if (err instanceof IsolateEvent) return { ok: false, index: err.index, error: err.cause };
      if (isTransient(err)) this.opts.logger.warn({ err: (err as Error).message, events: candidates.length }, 'transient failure; the batch will be redelivered');
      throw err;
    }
    const counted = new Set<string>();
    for (const item of candidates) {
      const id = item.envelope.id;
      const applied = fresh.has(id) && !counted.has(id);
      counted.add(id);
      this.opts.metrics?.consumerHandled.inc({ topic: item.msg.topic, result: applied ? 'applied' : 'duplicate' });
      if (applied) this.opts.metrics?.eventLag.observe({ topic: item.msg.topic }, (Date.now() - Date.parse(item.envelope.time)) / 1000);
    }
    for (const { item, fn } of after) {
      // Bounded: a hanging step (e.g. Redis down) must not hold up the partition.
      await Promise.race([fn(), new Promise((_, reject) => setTimeout(() => reject(new Error('after-commit step timed out')), AFTER_COMMIT_TIMEOUT_MS).unref())])
        .catch((err) => this.opts.logger.warn({ err: (err as Error).message, eventId: item.envelope.id }, 'after-commit step failed; its sweeper will retry'));
    }
    return { ok: true };
  }

  private contextOf(item: Item) {
    return {
      correlationId: sanitizeCorrelationId(item.msg.headers[EventHeaders.correlationId]),
      traceparent: childTraceparent(item.msg.headers[EventHeaders.traceparent]),
      userId: item.envelope.actor?.userId ?? undefined,
    };
  }

  private async runHandlers(item: Item, em: EntityManager, afterCommit: (fn: () => Promise<void>) => void): Promise<void> {
    const ctx: HandlerContext = { em, afterCommit };
    for (const handler of this.handlers.get(item.envelope.type) ?? []) await handler(item.envelope, ctx);
    for (const hook of this.hooks) if ((hook.types as readonly string[]).includes(item.envelope.type)) await hook.run(item.envelope, ctx);
  }

  /** Inserts the candidates' inbox rows; returns the ids that were not there yet. */
  private async insertInbox(em: EntityManager, items: Item[]): Promise<Set<string>> {
    const values: unknown[] = [];
    for (const { envelope } of items) values.push(this.opts.groupId, envelope.id, EventTopics[envelope.type as EventType], envelope.type, envelope.time);
    const rows = await em.getConnection().execute<{ event_id: string }[]>(
      `INSERT INTO inbox (consumer, event_id, topic, type, event_time) VALUES ${items.map(() => '(?, ?, ?, ?, ?)').join(', ')}
       ON CONFLICT (consumer, event_id) DO NOTHING RETURNING event_id`,
      values,
      'all',
      em.getTransactionContext(),
    );
    return new Set(rows.map((r) => r.event_id));
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
          [EventHeaders.dlqError]: redactErrorText(error).slice(0, 2000),
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
