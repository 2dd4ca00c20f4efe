import { Client, Pool, PoolClient } from 'pg';
import type { Logger } from 'pino';
import type { Metrics } from '@tally/observability';
import { MessageProducer, OutgoingMessage } from './bus';
import { OUTBOX_NOTIFY_CHANNEL } from './schema.sql';

export interface OutboxRelayOptions {
  pool: Pool;
  databaseUrl: string;
  producer: MessageProducer;
  logger: Logger;
  metrics?: Metrics;
  pollIntervalMs?: number;
  batchSize?: number;
}

interface Row {
  seq: string;
  topic: string;
  key: string;
  payload: unknown;
  headers: Record<string, string>;
}

/**
 * Publishes outbox rows to Kafka in order per aggregate and marks them sent.
 *
 * Woken by LISTEN/NOTIFY, with polling as the fallback. Rows are claimed with
 * `FOR UPDATE SKIP LOCKED`, so several replicas share the work; a replica publishes a row only
 * if no earlier unsent row of the same aggregate is held by another replica, which keeps each
 * aggregate's order. A failed publish rolls back: the rows stay unsent and are retried with backoff.
 */
export class OutboxRelay {
  private running = false;
  private loopDone?: Promise<void>;
  private wake?: () => void;
  /** Set by a NOTIFY; makes the next wait return at once, so a notification during a publish is not lost. */
  private notified = false;
  private listener?: Client;
  private readonly pollIntervalMs: number;
  private readonly batchSize: number;

  constructor(private readonly opts: OutboxRelayOptions) {
    this.pollIntervalMs = opts.pollIntervalMs ?? 1000;
    this.batchSize = opts.batchSize ?? 200;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    void this.listen();
    this.loopDone = this.loop();
  }

  /** Stops the loop, then makes one last attempt to publish what is waiting (bounded by timeoutMs). */
  async stop(timeoutMs = 5000): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.wake?.();
    await this.loopDone;
    const listener = this.listener;
    this.listener = undefined;
    await listener?.end().catch(() => undefined);
    const deadline = Date.now() + timeoutMs;
    try {
      while (Date.now() < deadline) {
        const n = await withTimeout(this.drainOnce(), Math.max(1, deadline - Date.now()));
        if (n < this.batchSize) break;
      }
    } catch (err) {
      this.opts.logger.warn({ err }, 'outbox flush on shutdown incomplete; events stay in the outbox for the next start');
    }
  }

  /** Publishes up to one batch; returns how many rows it published. Exposed for tests and benchmarks. */
  async drainOnce(): Promise<number> {
    const client = await this.opts.pool.connect();
    try {
      await client.query('BEGIN');
      const published = await this.claimAndPublish(client);
      await client.query('COMMIT');
      return published;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  private async claimAndPublish(client: PoolClient): Promise<number> {
    const { rows } = await client.query<Row>(
      `SELECT seq, topic, key, payload, headers FROM outbox
        WHERE sent_at IS NULL ORDER BY seq LIMIT $1 FOR UPDATE SKIP LOCKED`,
      [this.batchSize],
    );
    if (!rows.length) return 0;

    // Earliest unsent row of each of our aggregates that another replica holds (or that we skipped).
    const mine = rows.map((r) => r.seq);
    const keys = [...new Set(rows.map((r) => r.key))];
    const { rows: foreign } = await client.query<{ key: string; first: string }>(
      `SELECT key, min(seq) AS first FROM outbox
        WHERE sent_at IS NULL AND key = ANY($1::text[]) AND NOT (seq = ANY($2::bigint[])) AND seq < $3
        GROUP BY key`,
      [keys, mine, rows[rows.length - 1].seq],
    );
    const blockedFrom = new Map(foreign.map((f) => [f.key, BigInt(f.first)]));
    const publishable = rows.filter((r) => {
      const first = blockedFrom.get(r.key);
      return first === undefined || BigInt(r.seq) < first;
    });
    if (!publishable.length) return 0;

    const messages: OutgoingMessage[] = publishable.map((r) => ({
      topic: r.topic,
      key: r.key,
      value: JSON.stringify(r.payload),
      headers: r.headers,
    }));
    await this.opts.producer.publish(messages);
    await client.query('UPDATE outbox SET sent_at = clock_timestamp() WHERE seq = ANY($1::bigint[])', [publishable.map((r) => r.seq)]);
    for (const m of messages) this.opts.metrics?.outboxPublished.inc({ topic: m.topic });
    return publishable.length;
  }

  private async loop(): Promise<void> {
    let backoff = 0;
    while (this.running) {
      let published = 0;
      this.notified = false;
      try {
        published = await this.drainOnce();
        backoff = 0;
      } catch (err) {
        this.opts.metrics?.outboxPublishFailures.inc();
        backoff = Math.min(backoff ? backoff * 2 : 250, 5000);
        this.opts.logger.warn({ err: (err as Error).message, retryInMs: backoff }, 'outbox relay could not publish; events stay in the outbox');
      }
      if (!this.running) break;
      if (backoff) await this.sleep(backoff, false);
      else if (published < this.batchSize) await this.sleep(this.pollIntervalMs, true);
    }
  }

  private sleep(ms: number, wakeable: boolean): Promise<void> {
    return new Promise((resolve) => {
      if (wakeable && this.notified) return resolve();
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      // A NOTIFY wakes a normal wait; a backoff wait is only cut short by stop().
      this.wake = wakeable ? done : () => (this.running ? undefined : done());
    });
  }

  private async listen(): Promise<void> {
    while (this.running) {
      const client = new Client({ connectionString: this.opts.databaseUrl });
      try {
        await client.connect();
        client.on('notification', () => {
          this.notified = true;
          this.wake?.();
        });
        await client.query(`LISTEN ${OUTBOX_NOTIFY_CHANNEL}`);
        this.listener = client;
        // Whatever was committed while we were not listening: look now, not at the next poll.
        this.notified = true;
        this.wake?.();
        if (!this.running) await client.end();
        await new Promise<void>((resolve) => {
          client.once('error', () => resolve());
          client.once('end', () => resolve());
        });
      } catch (err) {
        this.opts.logger.debug({ err: (err as Error).message }, 'outbox LISTEN connection failed; polling meanwhile');
      }
      await client.end().catch(() => undefined);
      if (this.running) await new Promise((r) => setTimeout(r, 2000));
    }
  }
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
    p.then((v) => { clearTimeout(t); resolve(v); }, (e) => { clearTimeout(t); reject(e); });
  });
}
