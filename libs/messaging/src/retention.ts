import type { Pool, PoolClient } from 'pg';
import type { Logger } from 'pino';
import { Counter } from 'prom-client';
import type { Metrics } from '@tally/observability';

const HOUR = 3600 * 1000;
const DAY = 24 * HOUR;

/**
 * Key of the session advisory lock that lets one replica prune at a time. Advisory locks are per
 * database, and every service has its own, so one fixed key serves them all. (74219001 is the
 * migration lock of @tally/persistence, 74219002 auth's signing-key lock.)
 */
export const RETENTION_LOCK_KEY = 74_219_010;

export interface MessagingRetentionOptions {
  pool: Pool;
  logger: Logger;
  metrics?: Metrics;
  /** SENT outbox rows whose `sent_at` is older than this are deleted (default 7 days). Unsent rows never are. */
  outboxRetentionMs?: number;
  /**
   * Inbox rows whose `processed_at` is older than this are deleted (default 14 days).
   *
   * The rule: the inbox is what makes a redelivered event a no-op. Once an event's inbox row is
   * gone, a redelivery or DLQ replay of that event would be applied a second time. So this must
   * be longer than the longest an event can come back after it was first processed: longer than
   * the topics' retention (`log.retention.hours`, 7 days for the local broker of infra/up.sh and
   * Kafka's default) — a consumer group reset to the earliest offset re-reads that much — and
   * longer than the window in which a DLQ message may still be replayed with `npm run dlq:replay`.
   * Raise it with them, never lower it below them. Compacted topics keep the last event of a key
   * forever; their consumers must be idempotent by state (e.g. the signing-key projection), not
   * only by inbox.
   */
  inboxRetentionMs?: number;
  /** Time between two passes (default 10 minutes). The first pass runs `firstPassDelayMs` after start(). */
  intervalMs?: number;
  /** Delay before the first pass after start() (default 30 s, or intervalMs if that is shorter). */
  firstPassDelayMs?: number;
  /** Rows deleted per statement (default 5,000): each batch is its own short transaction. */
  batchSize?: number;
  /** Pause between two batches of one pass, so a large backlog does not monopolise the database (default 10 ms). */
  batchPauseMs?: number;
}

export interface PruneResult {
  outbox: number;
  inbox: number;
}

/**
 * Deletes the outbox's sent rows and the inbox's rows once they are older than their retention,
 * so neither table grows without bound.
 *
 * - Bounded batches: each DELETE removes at most `batchSize` rows in its own autocommit
 *   transaction, so a large backlog is worked off in many short transactions, never one long lock.
 *   The rows are picked oldest first through `idx_outbox_sent_at` / `idx_inbox_processed_at` and
 *   locked (`FOR UPDATE SKIP LOCKED`: a row another transaction holds is skipped, never waited
 *   for), then deleted by primary key (outbox) or ctid (inbox, safe as the rows are locked by the
 *   same statement). `= ANY(ARRAY(subquery))` rather than `IN (subquery)`: the latter plans as a
 *   hash semi-join over a sequential scan of the whole table, at every batch.
 * - Only SENT outbox rows (`sent_at IS NOT NULL`); an unsent row stays however old it is.
 * - Several replicas may run it: a pass first takes the session advisory lock
 *   {@link RETENTION_LOCK_KEY} with `pg_try_advisory_lock`; if another replica holds it the pass
 *   returns zeros at once. The lock is released at the end of the pass (or with its connection).
 * - The cutoffs are fixed at the start of a pass, so one pass ends even while rows keep ageing.
 * - The timer never throws: a failed pass is logged (and counted) and the next one runs on schedule.
 */
export class MessagingRetention {
  private readonly outboxRetentionMs: number;
  private readonly inboxRetentionMs: number;
  private readonly intervalMs: number;
  private readonly firstPassDelayMs: number;
  private readonly batchSize: number;
  private readonly batchPauseMs: number;
  private readonly deleted?: Counter<'table'>;
  private readonly failures?: Counter;
  private timer?: NodeJS.Timeout;
  private running = false;
  private stopping = false;
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(private readonly opts: MessagingRetentionOptions) {
    this.outboxRetentionMs = positive('outboxRetentionMs', opts.outboxRetentionMs ?? 7 * DAY);
    this.inboxRetentionMs = positive('inboxRetentionMs', opts.inboxRetentionMs ?? 14 * DAY);
    this.intervalMs = positive('intervalMs', opts.intervalMs ?? 10 * 60 * 1000);
    this.firstPassDelayMs = Math.min(opts.firstPassDelayMs ?? 30_000, this.intervalMs);
    this.batchSize = Math.floor(positive('batchSize', opts.batchSize ?? 5000));
    this.batchPauseMs = Math.max(0, opts.batchPauseMs ?? 10);
    if (opts.metrics) {
      const registry = opts.metrics.registry;
      this.deleted =
        (registry.getSingleMetric('messaging_retention_deleted_total') as Counter<'table'> | undefined) ??
        new Counter({ name: 'messaging_retention_deleted_total', help: 'Outbox and inbox rows deleted after their retention', labelNames: ['table'], registers: [registry] });
      this.failures =
        (registry.getSingleMetric('messaging_retention_failures_total') as Counter | undefined) ??
        new Counter({ name: 'messaging_retention_failures_total', help: 'Failed outbox/inbox retention passes', registers: [registry] });
    }
  }

  /** Schedules a pass `firstPassDelayMs` from now, then one every `intervalMs` (measured from the end of the previous one). */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.stopping = false;
    this.schedule(this.firstPassDelayMs);
  }

  /** Stops the timer; a pass in progress stops after its current batch and is awaited. */
  async stop(): Promise<void> {
    this.running = false;
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await Promise.all([...this.inFlight].map((p) => p.catch(() => undefined)));
    this.stopping = false;
  }

  /**
   * One pass: prunes both tables unless another replica's pass holds the lock (then returns zeros).
   * Throws on a database error (the timer catches and logs it); the lock is released either way.
   */
  async pruneOnce(): Promise<PruneResult> {
    const pass = this.pass();
    this.inFlight.add(pass);
    try {
      return await pass;
    } finally {
      this.inFlight.delete(pass);
    }
  }

  private schedule(ms: number): void {
    if (!this.running) return;
    this.timer = setTimeout(() => void this.tick(), ms);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    this.timer = undefined;
    try {
      await this.pruneOnce();
    } catch (err) {
      this.failures?.inc();
      this.opts.logger.warn({ err: (err as Error).message }, 'outbox/inbox retention pass failed; retrying at the next interval');
    }
    this.schedule(this.intervalMs);
  }

  private async pass(): Promise<PruneResult> {
    const result: PruneResult = { outbox: 0, inbox: 0 };
    const client = await this.opts.pool.connect();
    let broken: Error | undefined;
    try {
      const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1) AS locked', [RETENTION_LOCK_KEY]);
      if (!rows[0]?.locked) {
        this.opts.logger.debug('outbox/inbox retention: another replica is pruning; skipping this pass');
        return result;
      }
      try {
        const started = Date.now();
        // Cutoffs fixed once, as text so no microseconds are lost on the way through JavaScript.
        const { rows: cut } = await client.query<{ outbox: string; inbox: string }>(
          `SELECT (now() - ($1::bigint * interval '1 millisecond'))::text AS outbox,
                  (now() - ($2::bigint * interval '1 millisecond'))::text AS inbox`,
          [Math.round(this.outboxRetentionMs), Math.round(this.inboxRetentionMs)],
        );
        result.outbox = await this.deleteInBatches(
          client,
          'outbox',
          `DELETE FROM outbox WHERE seq = ANY(ARRAY(
             SELECT seq FROM outbox WHERE sent_at IS NOT NULL AND sent_at < $1::timestamptz
              ORDER BY sent_at LIMIT $2 FOR UPDATE SKIP LOCKED))`,
          cut[0].outbox,
        );
        result.inbox = await this.deleteInBatches(
          client,
          'inbox',
          `DELETE FROM inbox WHERE ctid = ANY(ARRAY(
             SELECT ctid FROM inbox WHERE processed_at < $1::timestamptz
              ORDER BY processed_at LIMIT $2 FOR UPDATE SKIP LOCKED))`,
          cut[0].inbox,
        );
        if (result.outbox || result.inbox) {
          this.opts.logger.info({ outbox: result.outbox, inbox: result.inbox, ms: Date.now() - started }, 'outbox/inbox retention: old rows deleted');
        }
      } finally {
        try {
          await client.query('SELECT pg_advisory_unlock($1)', [RETENTION_LOCK_KEY]);
        } catch (err) {
          // the connection is discarded below, which releases the session lock with it
          broken = err as Error;
        }
      }
      return result;
    } catch (err) {
      broken ??= err as Error;
      throw err;
    } finally {
      // A connection that failed mid-pass may still hold the lock: destroy it rather than pool it.
      client.release(broken);
    }
  }

  private async deleteInBatches(client: PoolClient, table: 'outbox' | 'inbox', sql: string, cutoff: string): Promise<number> {
    let total = 0;
    for (;;) {
      const { rowCount } = await client.query(sql, [cutoff, this.batchSize]);
      const n = rowCount ?? 0;
      total += n;
      if (n) this.deleted?.inc({ table }, n);
      if (n < this.batchSize || this.stopping) return total;
      if (this.batchPauseMs) await new Promise((r) => setTimeout(r, this.batchPauseMs));
    }
  }
}

function positive(name: string, v: number): number {
  if (!Number.isFinite(v) || v <= 0) throw new Error(`MessagingRetention: ${name} must be a positive number (got ${v})`);
  return v;
}
