import type { ServerResponse } from 'node:http';
import { Inject, Injectable, OnApplicationBootstrap, OnModuleDestroy, Optional } from '@nestjs/common';
import { MikroORM } from '@mikro-orm/postgresql';
import type { Logger } from 'pino';
import { PgChannelListener } from '@tally/persistence';
import { ServiceRuntime } from '@tally/service-kit';
import { DEFAULT_STREAM_SETTINGS, NotificationStream, StreamSettings } from './notification-stream';
import { NOTIFICATIONS_CHANNEL } from './notify';
import { StreamErrors } from './stream.exceptions';
import { NotificationStreamReader } from './stream.reader';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Optional overrides of DEFAULT_STREAM_SETTINGS. */
export const STREAM_SETTINGS = Symbol('STREAM_SETTINGS');

/**
 * This process's open notification streams, by user, and the one LISTEN connection that wakes
 * them. A NOTIFY for a user wakes that user's streams; a (re)connected listener wakes them all.
 * On shutdown every stream is ended (clients reconnect elsewhere and resume) before the HTTP
 * server closes, so closing never waits on an open stream.
 */
@Injectable()
export class NotificationStreamHub implements OnApplicationBootstrap, OnModuleDestroy {
  readonly settings: StreamSettings;
  private readonly byUser = new Map<string, Set<NotificationStream>>();
  private readonly listener: PgChannelListener;
  private readonly logger: Logger;
  private closing = false;

  constructor(
    runtime: ServiceRuntime,
    private readonly orm: MikroORM,
    private readonly reader: NotificationStreamReader,
    @Optional() @Inject(STREAM_SETTINGS) settings?: Partial<StreamSettings>,
  ) {
    this.settings = { ...DEFAULT_STREAM_SETTINGS, ...(settings ?? {}) };
    this.logger = runtime.logger.child({ component: 'notification-stream' });
    this.listener = new PgChannelListener({
      databaseUrl: runtime.config.DATABASE_URL,
      channel: NOTIFICATIONS_CHANNEL,
      applicationName: 'notification-stream-listener',
      logger: this.logger,
      // The payload is a user's id; anything else is not ours to act on.
      onPayload: (payload) => {
        if (UUID.test(payload)) this.byUser.get(payload.toLowerCase())?.forEach((s) => s.wake());
      },
      onConnected: () => this.byUser.forEach((set) => set.forEach((s) => s.wake())),
    });
    // Without it streams still open but only catch up when it is back: slower, not broken.
    runtime.healthChecks.push({
      name: 'notification-stream-listener',
      critical: false,
      check: async () => {
        if (!this.listener.connected) throw new Error('not listening');
      },
    });
  }

  onApplicationBootstrap(): void {
    this.listener.start();
  }

  async onModuleDestroy(): Promise<void> {
    this.closing = true;
    for (const set of [...this.byUser.values()]) for (const s of [...set]) s.close();
    await this.listener.stop();
  }

  /** How many streams the user has open in this process. */
  openFor(userId: string): number {
    return this.byUser.get(userId)?.size ?? 0;
  }

  /**
   * Registers a new stream of `userId` writing to `res` (not started: call `open` once the
   * response head is written). 429 over the per-user limit, 503 while shutting down.
   */
  admit(userId: string, res: ServerResponse): NotificationStream {
    if (this.closing) throw StreamErrors.shuttingDown();
    const set = this.byUser.get(userId) ?? new Set<NotificationStream>();
    if (set.size >= this.settings.maxPerUser) throw StreamErrors.tooManyStreams(this.settings.maxPerUser);
    const stream = new NotificationStream(userId, res, { orm: this.orm, reader: this.reader, settings: this.settings, logger: this.logger }, (s) => this.remove(s));
    set.add(stream);
    this.byUser.set(userId, set);
    return stream;
  }

  private remove(stream: NotificationStream): void {
    const set = this.byUser.get(stream.userId);
    if (!set) return;
    set.delete(stream);
    if (!set.size) this.byUser.delete(stream.userId);
  }
}
