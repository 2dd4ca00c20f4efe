import type { ServerResponse } from 'node:http';
import { MikroORM } from '@mikro-orm/postgresql';
import type { Logger } from 'pino';
import { freshEm } from '@tally/persistence';
import { TimeIdCursor, encodeCursor } from '@tally/service-kit';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Notification } from '../notifications/notification.entity';
import { toNotificationView } from '../notifications/notification.service';
import { commentFrame, eventFrame, retryFrame } from './sse';
import type { NotificationStreamReader } from './stream.reader';

export interface StreamSettings {
  /** A `: ping` comment this often keeps idle connections open through proxies. */
  heartbeatMs: number;
  /** The `retry:` a client waits before reconnecting. */
  retryMs: number;
  /**
   * How far before the newest notification a stream sent it still looks for ones committed late
   * (a transaction that stamped `created_at` earlier but committed after a newer one, or another
   * replica's clock a little behind).
   */
  lookbackMs: number;
  /** Rows read per query. */
  pageSize: number;
  /** At most this many notifications are replayed after a Last-Event-ID; past it, a `reset` event. */
  replayMax: number;
  /** A client that leaves this much unread is too slow: its stream is closed (it reconnects and resumes). */
  maxBufferedBytes: number;
  /** Concurrent streams per user in one process. */
  maxPerUser: number;
}

export const DEFAULT_STREAM_SETTINGS: StreamSettings = {
  heartbeatMs: 15_000,
  retryMs: 3_000,
  lookbackMs: 60_000,
  pageSize: 100,
  replayMax: 500,
  maxBufferedBytes: 1024 * 1024,
  maxPerUser: 5,
};

export interface StreamDeps {
  orm: MikroORM;
  reader: NotificationStreamReader;
  settings: StreamSettings;
  logger: Logger;
}

function compare(a: TimeIdCursor, b: TimeIdCursor): number {
  const d = a.at.getTime() - b.at.getTime();
  return d !== 0 ? d : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/**
 * One open event stream of one user. It keeps the newest position it sent (every event's `id`, so
 * event ids never go backwards and a resume never repeats one) and the ids it sent within the
 * look-back window before it (so a late-committed notification is still sent, once). Reads are
 * serialized: a wake-up during a read makes it read again afterwards, never in parallel.
 */
export class NotificationStream {
  private newest?: TimeIdCursor;
  private readonly sent = new Map<string, number>();
  private reading = false;
  private again = false;
  private closedFlag = false;
  private readonly timers: NodeJS.Timeout[] = [];

  constructor(
    readonly userId: string,
    private readonly res: Pick<ServerResponse, 'write' | 'end' | 'on' | 'writableLength'>,
    private readonly deps: StreamDeps,
    private readonly onClosed: (stream: NotificationStream) => void,
  ) {
    res.on('close', () => this.close());
  }

  get closed(): boolean {
    return this.closedFlag;
  }

  /**
   * Starts the stream: `retry:`, heartbeats, then the notifications after `resumeFrom` (oldest
   * first), or, without one, only those that arrive from now on. Ends at `endAtMs` (the access
   * token's expiry) when given. Call it after the stream is registered for wake-ups, so nothing
   * committed meanwhile is missed.
   */
  async open(resumeFrom: TimeIdCursor | undefined, endAtMs?: number): Promise<void> {
    const { settings } = this.deps;
    this.write(retryFrame(settings.retryMs));
    // Neither timer keeps the process alive: the open socket does, and shutdown closes every stream.
    this.timers.push(setInterval(() => this.write(commentFrame('ping')), settings.heartbeatMs).unref());
    if (endAtMs !== undefined) this.timers.push(setTimeout(() => this.close(), Math.min(Math.max(0, endAtMs - Date.now()), 2 ** 31 - 1)).unref());
    this.reading = true;
    try {
      const em = freshEm(this.deps.orm);
      this.newest = resumeFrom ?? (await this.deps.reader.newest(em, this.userId));
      if (this.newest) await this.markSeenUpTo(em, this.newest);
    } catch (err) {
      this.deps.logger.warn({ err: (err as Error).message }, 'notification stream could not start; closing it');
      this.reading = false;
      this.close();
      return;
    }
    await this.readLoop(true);
  }

  /** New notifications may be there (a NOTIFY, or the listener reconnected). */
  wake(): void {
    if (this.closedFlag) return;
    if (this.reading) {
      this.again = true;
      return;
    }
    this.reading = true;
    void this.readLoop(false);
  }

  close(): void {
    if (this.closedFlag) return;
    this.closedFlag = true;
    for (const t of this.timers) clearTimeout(t);
    try {
      this.res.end();
    } catch {
      // the connection is already gone
    }
    this.onClosed(this);
  }

  private async readLoop(initial: boolean): Promise<void> {
    try {
      do {
        this.again = false;
        await this.sendNew(initial);
        initial = false;
      } while (this.again && !this.closedFlag);
    } catch (err) {
      // The database is away: the client reconnects after `retry` with its Last-Event-ID and resumes.
      this.deps.logger.warn({ err: (err as Error).message }, 'notification stream could not read; closing it');
      this.close();
    } finally {
      this.reading = false;
    }
  }

  private async sendNew(initial: boolean): Promise<void> {
    const { reader, settings } = this.deps;
    const em = freshEm(this.deps.orm);
    let count = 0;
    for (;;) {
      if (this.closedFlag) return;
      const from = this.newest ? new Date(this.newest.at.getTime() - settings.lookbackMs) : undefined;
      if (from) for (const [id, at] of this.sent) if (at <= from.getTime()) this.sent.delete(id);
      const rows = await reader.after(em, this.userId, from, [...this.sent.keys()], settings.pageSize);
      for (const n of rows) this.send(n);
      count += rows.length;
      if (rows.length < settings.pageSize) return;
      if (initial && count >= settings.replayMax) {
        await this.skipToNewest(em, count);
        return;
      }
    }
  }

  /** More were missed than a replay sends: a `reset` event (reload the list), then live from the newest. */
  private async skipToNewest(em: EntityManager, replayed: number): Promise<void> {
    const newest = await this.deps.reader.newest(em, this.userId);
    if (!newest || !this.newest || compare(newest, this.newest) <= 0) return;
    this.newest = newest;
    this.sent.clear();
    await this.markSeenUpTo(em, newest);
    this.write(eventFrame('reset', { reason: 'too_many_missed', replayed, list: '/api/v1/notifications' }, encodeCursor(newest)));
  }

  private send(n: Notification): void {
    if (this.closedFlag) return;
    const at = { at: n.createdAt, id: n.id };
    if (!this.newest || compare(at, this.newest) > 0) this.newest = at;
    this.sent.set(n.id, n.createdAt.getTime());
    this.write(eventFrame('notification', toNotificationView(n), encodeCursor(this.newest)));
  }

  /** What the client had at `upTo` (and just before it, within the look-back window) counts as sent. */
  private async markSeenUpTo(em: EntityManager, upTo: TimeIdCursor): Promise<void> {
    const from = new Date(upTo.at.getTime() - this.deps.settings.lookbackMs);
    for (const r of await this.deps.reader.idsBetween(em, this.userId, from, upTo)) this.sent.set(r.id, r.at.getTime());
  }

  private write(chunk: string): void {
    if (this.closedFlag) return;
    this.res.write(chunk);
    if (this.res.writableLength > this.deps.settings.maxBufferedBytes) {
      this.deps.logger.info({ buffered: this.res.writableLength }, 'notification stream client too slow; closing its stream');
      this.close();
    }
  }
}
