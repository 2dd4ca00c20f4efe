import { EventEmitter } from 'node:events';
import pino from 'pino';
import { decodeCursor } from '@tally/service-kit';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Notification } from '../notifications/notification.entity';
import { DEFAULT_STREAM_SETTINGS, NotificationStream, StreamSettings } from './notification-stream';
import type { NotificationStreamReader } from './stream.reader';

const USER = '00000000-0000-4000-8000-000000000001';
const t0 = Date.parse('2026-12-06T10:00:00.000Z');

function row(i: number, atMs = t0 + i * 1000): Notification {
  return {
    id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`, userId: USER, notificationType: 'friend_request', title: `n${i}`, message: 'm',
    priority: 'normal', isRead: false, readAt: null, relatedObjectType: null, relatedObjectId: null, actionUrl: null, deliveryChannels: ['in_app'],
    deliveryStatus: 'sent', isSent: true, sentAt: new Date(atMs), createdAt: new Date(atMs),
  } as unknown as Notification;
}

/** The reader's queries over an array, in (created_at, id) order. */
function memoryReader(rows: Notification[]): NotificationStreamReader {
  const key = (n: Notification) => [n.createdAt.getTime(), n.id] as const;
  const sorted = () => [...rows].sort((a, b) => key(a)[0] - key(b)[0] || (a.id < b.id ? -1 : 1));
  return {
    newest: async () => {
      const last = sorted().at(-1);
      return last ? { at: last.createdAt, id: last.id } : undefined;
    },
    idsBetween: async (_em, _u, from, upTo) =>
      sorted()
        .filter((n) => n.createdAt > from && (n.createdAt < upTo.at || (n.createdAt.getTime() === upTo.at.getTime() && n.id <= upTo.id)))
        .map((n) => ({ id: n.id, at: n.createdAt })),
    after: async (_em, _u, from, exclude, limit) => sorted().filter((n) => (!from || n.createdAt > from) && !exclude.includes(n.id)).slice(0, limit),
  } as NotificationStreamReader;
}

class FakeResponse extends EventEmitter {
  chunks: string[] = [];
  ended = false;
  writableLength = 0;
  write(chunk: string): boolean {
    this.chunks.push(chunk);
    return true;
  }
  end(): this {
    this.ended = true;
    return this;
  }
  get text(): string {
    return this.chunks.join('');
  }
  /** The notifications' titles and the event ids, in order. */
  get events(): { event: string; id: string; title?: string }[] {
    return this.chunks
      .filter((c) => c.startsWith('id: '))
      .map((c) => {
        const [id, event, data] = c.trim().split('\n').map((l) => l.slice(l.indexOf(': ') + 2));
        return { id, event, title: JSON.parse(data).title };
      });
  }
}

function setup(rows: Notification[], settings: Partial<StreamSettings> = {}) {
  const res = new FakeResponse();
  const orm = { em: { fork: () => ({}) } } as unknown as MikroORM;
  const closed: NotificationStream[] = [];
  const stream = new NotificationStream(USER, res as never, { orm, reader: memoryReader(rows), settings: { ...DEFAULT_STREAM_SETTINGS, ...settings }, logger: pino({ level: 'silent' }) }, (s) => closed.push(s));
  return { res, stream, closed };
}

afterEach(() => jest.useRealTimers());

describe('NotificationStream', () => {
  it('starts with retry, then a ping comment every heartbeat', async () => {
    jest.useFakeTimers();
    const { res, stream } = setup([row(1)], { heartbeatMs: 15_000 });
    await stream.open(undefined);
    expect(res.text).toBe('retry: 3000\n\n');
    jest.advanceTimersByTime(30_000);
    expect(res.text).toBe('retry: 3000\n\n: ping\n\n: ping\n\n');
    stream.close();
    jest.advanceTimersByTime(30_000);
    expect(res.chunks).toHaveLength(3);
    expect(res.ended).toBe(true);
  });

  it('without Last-Event-ID sends only what arrives after it opened', async () => {
    const rows = [row(1), row(2)];
    const { res, stream } = setup(rows);
    await stream.open(undefined);
    expect(res.events).toEqual([]);
    rows.push(row(3));
    stream.wake();
    await new Promise((r) => setImmediate(r));
    expect(res.events.map((e) => e.title)).toEqual(['n3']);
    expect(decodeCursor(res.events[0].id)).toEqual({ at: new Date(t0 + 3000), id: row(3).id });
    stream.close();
  });

  it('replays at most replayMax missed notifications, then says reset and goes on from the newest', async () => {
    const rows = Array.from({ length: 12 }, (_, i) => row(i + 1));
    const { res, stream } = setup(rows, { pageSize: 2, replayMax: 4 });
    await stream.open({ at: rows[0].createdAt, id: rows[0].id });
    expect(res.events.map((e) => e.event)).toEqual(['notification', 'notification', 'notification', 'notification', 'reset']);
    expect(res.events.slice(0, 4).map((e) => e.title)).toEqual(['n2', 'n3', 'n4', 'n5']);
    expect(decodeCursor(res.events[4].id)).toEqual({ at: rows[11].createdAt, id: rows[11].id });
    rows.push(row(13));
    stream.wake();
    await new Promise((r) => setImmediate(r));
    expect(res.events.at(-1)?.title).toBe('n13');
    stream.close();
  });

  it('closes the stream of a client that stops reading', async () => {
    const rows = [row(1)];
    const { res, stream, closed } = setup(rows, { maxBufferedBytes: 100 });
    await stream.open(undefined);
    res.writableLength = 101;
    rows.push(row(2));
    stream.wake();
    await new Promise((r) => setImmediate(r));
    expect(res.ended).toBe(true);
    expect(closed).toEqual([stream]);
    expect(stream.closed).toBe(true);
  });

  it('ends at the access token expiry', async () => {
    jest.useFakeTimers();
    const { res, stream } = setup([]);
    await stream.open(undefined, Date.now() + 60_000);
    jest.advanceTimersByTime(59_000);
    expect(res.ended).toBe(false);
    jest.advanceTimersByTime(1_000);
    expect(res.ended).toBe(true);
  });
});
