import { ArgumentsHost, Catch, RpcExceptionFilter } from '@nestjs/common';
import { CustomTransportStrategy, EventPattern as NestEventPattern, MessageHandler, Server } from '@nestjs/microservices';
import { Observable, lastValueFrom, throwError } from 'rxjs';
import type { Logger } from 'pino';
import { EventData, EventEnvelope, EventType, isEventType } from '@tally/contracts';
import { EventConsumer } from './consumer';

/** An event as its handler receives it: the envelope, its `data` typed from the contracts' event map. */
export type EventOf<T extends EventType> = EventEnvelope<T, EventData<T>>;

/**
 * Nest's `@EventPattern`, typed by the contracts' event map: a handler for an event type that does not
 * exist does not compile. Several types may share one method.
 */
export function EventPattern<T extends EventType>(type: T | readonly T[]): MethodDecorator {
  return NestEventPattern(type as string | string[]);
}

export { Ctx, Payload } from '@nestjs/microservices';

/**
 * Nest's default RPC exception filter turns every error into `{ status: 'error', message: 'Internal server
 * error' }`: the consumer then cannot tell a transient failure from a poison event, and the DLQ would carry
 * no reason. This filter hands the original error back to the consumer instead.
 */
@Catch()
export class RethrowEventErrors implements RpcExceptionFilter {
  catch(exception: unknown, _host: ArgumentsHost): Observable<never> {
    return throwError(() => exception);
  }
}

export interface InboxTransportOptions {
  logger: Logger;
  /** Run before every (re)start, e.g. creating the topics; a failure is retried like a failed start. */
  beforeStart?: () => Promise<void>;
  /** Longest wait between restarts. */
  maxRestartDelayMs?: number;
}

/**
 * A `@nestjs/microservices` transport over the inbox consumer: Nest discovers the `@EventPattern`
 * methods of a service's modules (with DI, pipes, interceptors and guards) and this strategy registers
 * each with the {@link EventConsumer}, which keeps every guarantee: batches per partition, the inbox rows
 * and every handler's effect in one transaction, several handlers of one type in sequence on one
 * EntityManager (never concurrently, as Nest's own chaining of event handlers would), after-commit hooks,
 * bounded retries, dead letters with the error, trace and correlation context.
 *
 * Handlers are awaited (Nest does not await event handlers by default) and their errors reach the consumer
 * unchanged (see {@link RethrowEventErrors}, which the service bootstrap installs). A consumer that fails to
 * start, or whose Kafka client crashes for good, is started again with a capped backoff until closed.
 */
export class InboxTransport extends Server implements CustomTransportStrategy {
  private closed = false;
  private restarting?: Promise<void>;
  private restarts = 0;

  constructor(readonly consumer: EventConsumer, private readonly opts: InboxTransportOptions) {
    super();
  }

  override addHandler(pattern: unknown, callback: MessageHandler, isEventHandler = false): void {
    const type = this.normalizePattern(pattern as string);
    if (!isEventHandler) throw new Error(`@MessagePattern('${type}'): services answer no requests over Kafka, only events (@EventPattern)`);
    if (!isEventType(type)) throw new Error(`@EventPattern('${type}') names no event type of the contracts`);
    this.consumer.on(type, async (event, ctx) => {
      // The wrapped handler resolves to an Observable (interceptors) that errors with what the handler threw.
      await lastValueFrom(this.transformToObservable(await callback(event, ctx)), { defaultValue: undefined });
    });
  }

  /** Called by Nest once every module's handlers are registered. Returns at once: Kafka being down must not hold up the service. */
  listen(callback: () => void): void {
    this.closed = false;
    this.restarting = this.startWithRetry();
    callback();
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.consumer.stop();
  }

  /** True while there is nothing to consume or the consumer runs; false while it is (re)starting or crashed. */
  isHealthy(): boolean {
    return !this.consumer.types().length || this.consumer.state() === 'running';
  }

  /** How often the consumer was restarted after a crash (for tests and metrics). */
  get restartCount(): number {
    return this.restarts;
  }

  /** Resolves once the current (re)start attempt loop has finished. */
  async started(): Promise<void> {
    await this.restarting;
  }

  private async startWithRetry(): Promise<void> {
    const log = this.opts.logger;
    if (!this.consumer.types().length) return;
    for (let attempt = 1; !this.closed; attempt++) {
      try {
        await this.opts.beforeStart?.();
        await this.consumer.start((err) => this.onCrash(err));
        if (this.closed) await this.consumer.stop();
        else log.info({ topics: this.consumer.topics(), groupId: this.consumer.groupId }, 'consumer group started');
        return;
      } catch (err) {
        const delay = Math.min(1000 * attempt, this.opts.maxRestartDelayMs ?? 10000);
        log.warn({ err: (err as Error).message, retryInMs: delay }, 'could not start the consumer; retrying');
        await this.consumer.stop().catch(() => undefined);
        await new Promise((r) => setTimeout(r, delay).unref());
      }
    }
  }

  private onCrash(err: Error): void {
    if (this.closed) return;
    this.restarts++;
    this.opts.logger.error({ err: err.message }, 'consumer crashed for good; restarting it');
    this.restarting = this.consumer
      .stop()
      .catch(() => undefined)
      .then(() => this.startWithRetry());
  }

  on(): void {
    // No transport-level events to subscribe to: state is reported through isHealthy().
  }

  unwrap<T>(): T {
    return this.consumer as unknown as T;
  }
}
