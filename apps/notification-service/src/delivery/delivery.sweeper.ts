import type { Logger } from 'pino';
import type { PendingDelivery } from '../notifications/notification.repository';
import type { EmailJobState } from './email-queue';

/** The parts of the repository the sweeper uses. */
export interface SweepSource {
  findPendingDeliveries(createdBefore: Date, limit: number): Promise<PendingDelivery[]>;
  expireOverdue(now: Date): Promise<number>;
}

/** The parts of the queue the sweeper uses. */
export interface SweepQueue {
  enqueue(job: { notificationId: string; correlationId?: string }): Promise<void>;
  inspect(notificationId: string): Promise<{ state: EmailJobState; finishedOn?: number }>;
  remove(notificationId: string): Promise<void>;
}

export interface SweeperOptions {
  intervalMs: number;
  /** Younger pending notifications are left alone: their after-commit enqueue may still be running. */
  graceMs: number;
  batchSize: number;
  logger: Logger;
  clock?: () => Date;
}

export interface SweepResult {
  expired: number;
  enqueued: number;
  requeued: number;
}

/**
 * Makes sure every pending notification has a delivery job. The Kafka handler enqueues after
 * commit; if Redis was down then (or the process died in between), the notification is still
 * `pending` in PostgreSQL with no job, and this puts one back. A job that finished (failed or
 * completed) while the notification is still pending, e.g. after an operator reset a dead-lettered
 * notification to `pending`, is replaced. Several replicas may sweep at once: the job id is the
 * notification id, so they cannot create two jobs.
 */
export class DeliverySweeper {
  private timer?: NodeJS.Timeout;
  private running?: Promise<unknown>;
  private stopped = true;
  private stopping = false;
  private readonly clock: () => Date;

  constructor(private readonly source: SweepSource, private readonly queue: SweepQueue, private readonly opts: SweeperOptions) {
    this.clock = opts.clock ?? (() => new Date());
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.stopping = false;
    this.schedule(Math.min(this.opts.intervalMs, 5000));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => undefined);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.sweepOnce()
        .then((r) => {
          if (r.expired || r.enqueued || r.requeued) this.opts.logger.info(r, 'delivery sweep');
        })
        .catch((err) => this.opts.logger.warn({ err: (err as Error).message }, 'delivery sweep failed; next round retries'))
        .finally(() => this.schedule(this.opts.intervalMs));
    }, ms);
    this.timer.unref();
  }

  async sweepOnce(): Promise<SweepResult> {
    const now = this.clock();
    const result: SweepResult = { expired: await this.source.expireOverdue(now), enqueued: 0, requeued: 0 };
    const pending = await this.source.findPendingDeliveries(new Date(now.getTime() - this.opts.graceMs), this.opts.batchSize);
    for (const p of pending) {
      if (this.stopping) break;
      const job = { notificationId: p.id, ...(p.correlationId ? { correlationId: p.correlationId } : {}) };
      const { state, finishedOn } = await this.queue.inspect(p.id);
      if (state === 'missing') {
        await this.queue.enqueue(job);
        result.enqueued++;
      } else if ((state === 'failed' || state === 'completed') && (finishedOn ?? 0) < now.getTime() - this.opts.graceMs) {
        await this.queue.remove(p.id);
        await this.queue.enqueue(job);
        result.requeued++;
      }
    }
    return result;
  }
}
