import { Controller, Get, Header, Injectable, Module, Param, Res } from '@nestjs/common';
import { MikroORM } from '@mikro-orm/postgresql';
import type { FastifyReply } from 'fastify';
import { freshEm } from '@tally/persistence';
import { Public } from '@tally/security';
import { DomainException, ServiceRuntime } from '@tally/service-kit';
import type { NotificationServiceConfig } from '../config/notification.config';
import { verifyTrackingToken } from './tracking-token';

/** A 1×1 transparent GIF. */
const PIXEL = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');

const notFound = () => new DomainException('NOT_FOUND', 'Not found.', 404);

/** Opens and clicks of notification emails, on the `sent` log row of their delivery (`opened_at`, `clicked_at`: the first time only). */
@Injectable()
export class TrackingRepository {
  constructor(private readonly orm: MikroORM) {}

  async recordOpen(deliveryId: string, at: Date): Promise<boolean> {
    const rows = await freshEm(this.orm).getConnection().execute<{ id: string }[]>(
      `UPDATE notification_logs SET opened_at = COALESCE(opened_at, ?), updated_at = now()
        WHERE metadata->>'deliveryId' = ? AND status = 'sent' AND delivery_method = 'email' RETURNING id`,
      [at, deliveryId],
    );
    return rows.length > 0;
  }

  /** Records the click (and the open it implies); returns the notification's action URL, or null when there is no such email. */
  async recordClick(deliveryId: string, at: Date): Promise<{ actionUrl: string | null } | null> {
    const rows = await freshEm(this.orm).getConnection().execute<{ action_url: string | null }[]>(
      `UPDATE notification_logs l SET clicked_at = COALESCE(l.clicked_at, ?), opened_at = COALESCE(l.opened_at, ?), updated_at = now()
         FROM notifications n
        WHERE n.id = l.notification_id AND l.metadata->>'deliveryId' = ? AND l.status = 'sent' AND l.delivery_method = 'email'
        RETURNING n.action_url`,
      [at, at, deliveryId],
    );
    return rows.length ? { actionUrl: rows[0].action_url } : null;
  }
}

/**
 * `GET /email/open/:token` (the pixel) and `GET /email/click/:token` (redirects to the notification's
 * own page in the app, never to a URL from the request): public, authenticated by the token's HMAC.
 * When the deployment has no EMAIL_TRACKING_SECRET both answer 404 and emails carry no tracking.
 */
@Controller('email')
export class TrackingController {
  private readonly secret?: string;
  private readonly appUrl: string;

  constructor(private readonly tracking: TrackingRepository, runtime: ServiceRuntime<NotificationServiceConfig>) {
    this.secret = runtime.config.EMAIL_TRACKING_SECRET;
    this.appUrl = runtime.config.APP_PUBLIC_URL.replace(/\/+$/, '');
  }

  @Public()
  @Get('open/:token')
  @Header('cache-control', 'no-store, private')
  async open(@Param('token') token: string, @Res() reply: FastifyReply): Promise<void> {
    const id = this.secret ? verifyTrackingToken(this.secret, 'open', token) : null;
    if (!id) throw notFound();
    await this.tracking.recordOpen(id, new Date());
    // The pixel whatever the row: a mail client must never show a broken image.
    await reply.header('content-type', 'image/gif').header('cache-control', 'no-store, private').send(PIXEL);
  }

  @Public()
  @Get('click/:token')
  async click(@Param('token') token: string, @Res() reply: FastifyReply): Promise<void> {
    const id = this.secret ? verifyTrackingToken(this.secret, 'click', token) : null;
    if (!id) throw notFound();
    const found = await this.tracking.recordClick(id, new Date());
    if (!found) throw notFound();
    const path = found.actionUrl && found.actionUrl.startsWith('/') && !found.actionUrl.startsWith('//') ? found.actionUrl : '/';
    await reply.header('cache-control', 'no-store, private').redirect(`${this.appUrl}${path}`, 302);
  }
}

@Module({ controllers: [TrackingController], providers: [TrackingRepository] })
export class TrackingModule {}
