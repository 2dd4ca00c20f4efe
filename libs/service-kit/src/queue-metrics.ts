import { Gauge, Registry } from 'prom-client';
import type { Logger } from 'pino';

/** The job states `queue_jobs` reports, per queue. */
export const QUEUE_JOB_STATES = ['waiting', 'active', 'delayed', 'failed', 'completed'] as const;
export type QueueJobState = (typeof QUEUE_JOB_STATES)[number];

/** What the gauge reads of a queue (a BullMQ `Queue` fits). */
export interface CountableQueue {
  readonly name: string;
  getJobCounts(...states: QueueJobState[]): Promise<Record<string, number>>;
}

export interface QueueMetricsOptions {
  /** A scrape waits at most this long for Redis; a queue that did not answer is left out of that scrape. */
  timeoutMs?: number;
  logger?: Logger;
}

function within<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no answer from Redis within ${ms} ms`)), ms);
    p.then((v) => { clearTimeout(t); resolve(v); }, (e) => { clearTimeout(t); reject(e); });
  });
}

/**
 * `queue_jobs{queue, state}`: how many jobs each queue holds in each state (waiting, active,
 * delayed, failed, completed), read from Redis when Prometheus scrapes (`getJobCounts`, all queues at
 * once, at most `timeoutMs`), so the numbers are as of the scrape and cost nothing between scrapes.
 * A queue Redis did not answer for in time has no samples in that scrape (absent, rather than stale
 * or a misleading zero); `queue_metrics_up{queue}` says which (1 answered, 0 not).
 */
export function registerQueueMetrics(registry: Registry, queues: readonly CountableQueue[], opts: QueueMetricsOptions = {}): void {
  const timeoutMs = opts.timeoutMs ?? 2000;
  // Both gauges' collect() run in parallel on a scrape: they share one round of reads.
  let inflight: Promise<PromiseSettledResult<Record<string, number>>[]> | undefined;
  const read = () =>
    (inflight ??= Promise.allSettled(queues.map((q) => within(q.getJobCounts(...QUEUE_JOB_STATES), timeoutMs))).finally(() => setImmediate(() => (inflight = undefined))));

  new Gauge({
    name: 'queue_jobs',
    help: 'Jobs in each BullMQ queue by state, read at scrape time',
    labelNames: ['queue', 'state'],
    registers: [registry],
    async collect() {
      const answers = await read();
      this.reset();
      answers.forEach((a, i) => {
        if (a.status === 'rejected') {
          opts.logger?.warn({ queue: queues[i].name, err: (a.reason as Error)?.message }, 'queue_jobs: queue counts unavailable');
          return;
        }
        for (const state of QUEUE_JOB_STATES) this.set({ queue: queues[i].name, state }, Number(a.value[state] ?? 0));
      });
    },
  });
  new Gauge({
    name: 'queue_metrics_up',
    help: 'Whether the queue answered for queue_jobs in this scrape (1) or not (0)',
    labelNames: ['queue'],
    registers: [registry],
    async collect() {
      const answers = await read();
      answers.forEach((a, i) => this.set({ queue: queues[i].name }, a.status === 'fulfilled' ? 1 : 0));
    },
  });
}
