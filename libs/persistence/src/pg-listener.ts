import { Client } from 'pg';
import type { Logger } from 'pino';

export interface PgChannelListenerOptions {
  databaseUrl: string;
  /** The channel to LISTEN on: a plain lower-case identifier. */
  channel: string;
  /** Shown in pg_stat_activity. */
  applicationName: string;
  logger: Logger;
  /** A NOTIFY on the channel (its payload, possibly empty). */
  onPayload: (payload: string) => void;
  /** (Re)connected and listening: whatever was committed while not listening must be looked for now. */
  onConnected?: () => void;
  /** The connection dropped (or could not be made): NOTIFYs are lost until `onConnected` is called again. */
  onDisconnected?: () => void;
  /** First reconnect delay; doubles up to `maxBackoffMs`. */
  minBackoffMs?: number;
  maxBackoffMs?: number;
}

const CHANNEL = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * One dedicated PostgreSQL connection per process that LISTENs on a channel (a pooled connection
 * cannot: LISTEN belongs to a session). It reconnects with backoff when the connection drops and
 * says so both ways (`onDisconnected`, then `onConnected` once listening again), so a user of it
 * knows exactly when NOTIFYs may have been missed.
 */
export class PgChannelListener {
  private client?: Client;
  private running = false;
  private connectedNow = false;
  private loop?: Promise<void>;
  private wake?: () => void;

  constructor(private readonly opts: PgChannelListenerOptions) {
    if (!CHANNEL.test(opts.channel)) throw new Error(`not a channel name: ${opts.channel}`);
  }

  get connected(): boolean {
    return this.connectedNow;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.client?.end().catch(() => undefined);
    await this.loop;
  }

  private async run(): Promise<void> {
    let backoff = 0;
    while (this.running) {
      const client = new Client({ connectionString: this.opts.databaseUrl, application_name: this.opts.applicationName });
      this.client = client;
      const ended = new Promise<void>((resolve) => {
        client.once('end', () => resolve());
        // `on`, not `once`: a second error event without a listener would crash the process.
        client.on('error', (err) => {
          if (this.running) this.opts.logger.warn({ err: err.message, channel: this.opts.channel }, 'LISTEN connection lost; reconnecting');
          resolve();
        });
      });
      try {
        await client.connect();
        client.on('notification', (msg) => {
          if (msg.channel === this.opts.channel) this.opts.onPayload(msg.payload ?? '');
        });
        await client.query(`LISTEN ${this.opts.channel}`);
        this.connectedNow = true;
        backoff = 0;
        this.opts.onConnected?.();
        if (this.running) await ended;
      } catch (err) {
        if (this.running) this.opts.logger.warn({ err: (err as Error).message, channel: this.opts.channel }, 'LISTEN connection failed; retrying');
      }
      if (this.connectedNow || this.running) {
        this.connectedNow = false;
        this.opts.onDisconnected?.();
      }
      await client.end().catch(() => undefined);
      if (!this.running) break;
      backoff = Math.min(backoff ? backoff * 2 : (this.opts.minBackoffMs ?? 250), this.opts.maxBackoffMs ?? 5000);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, backoff);
        this.wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
      this.wake = undefined;
    }
  }
}
