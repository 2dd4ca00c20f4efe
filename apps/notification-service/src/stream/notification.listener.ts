import { Client } from 'pg';
import type { Logger } from 'pino';
import { NOTIFICATIONS_CHANNEL } from './notify';

export interface NotificationListenerOptions {
  databaseUrl: string;
  logger: Logger;
  /** A user has new notifications (a NOTIFY on the channel). */
  onUser: (userId: string) => void;
  /** (Re)connected: whatever was committed while not listening must be looked for now. */
  onConnected: () => void;
  /** First reconnect delay; doubles up to `maxBackoffMs`. */
  minBackoffMs?: number;
  maxBackoffMs?: number;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The one dedicated PostgreSQL connection per process that LISTENs on the new-notifications channel
 * (a pooled connection cannot: LISTEN belongs to a session). It reconnects with backoff when the
 * connection drops, and after each (re)connect calls `onConnected`, so open streams re-read from
 * where they were and lose nothing sent while it was away.
 */
export class NotificationListener {
  private client?: Client;
  private running = false;
  private connectedNow = false;
  private loop?: Promise<void>;
  private wake?: () => void;

  constructor(private readonly opts: NotificationListenerOptions) {}

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
      const client = new Client({ connectionString: this.opts.databaseUrl, application_name: 'notification-stream-listener' });
      this.client = client;
      const ended = new Promise<void>((resolve) => {
        client.once('end', () => resolve());
        // `on`, not `once`: a second error event without a listener would crash the process.
        client.on('error', (err) => {
          if (this.running) this.opts.logger.warn({ err: err.message }, 'notification LISTEN connection lost; reconnecting');
          resolve();
        });
      });
      try {
        await client.connect();
        client.on('notification', (msg) => {
          if (msg.channel === NOTIFICATIONS_CHANNEL && msg.payload && UUID.test(msg.payload)) this.opts.onUser(msg.payload.toLowerCase());
        });
        await client.query(`LISTEN ${NOTIFICATIONS_CHANNEL}`);
        this.connectedNow = true;
        backoff = 0;
        this.opts.onConnected();
        if (this.running) await ended;
      } catch (err) {
        if (this.running) this.opts.logger.warn({ err: (err as Error).message }, 'notification LISTEN connection failed; retrying');
      }
      this.connectedNow = false;
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
