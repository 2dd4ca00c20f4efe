import type { MikroORM } from '@mikro-orm/postgresql';
import { freshEm } from '@tally/persistence';
import { absoluteUrl } from '../deliveries/digest';
import type { TemplateService } from '../templates/template.service';
import type { PreparedSms, SmsContentPort } from './send-sms.job';

/**
 * An SMS delivery's number (the recipient's in `user_phone_numbers` now, or the notification's
 * `recipient` for an invitee without an account) and text (the type's sms
 * template in English, at most 320 characters), read on a fresh context of the worker's ORM.
 */
export class OrmSmsContent implements SmsContentPort {
  constructor(private readonly orm: MikroORM, private readonly templates: Pick<TemplateService, 'render'>, private readonly appPublicUrl: string) {}

  async prepare(deliveryId: string): Promise<PreparedSms | null> {
    const em = freshEm(this.orm);
    const conn = em.getConnection();
    const rows = await conn.execute<{
      user_id: string | null; phone_number: string | null; sender_id: string | null; notification_type: string; title: string; message: string;
      action_url: string | null; metadata: Record<string, unknown> | null;
    }[]>(
      // A user's number is the one auth holds now; an invitee without an account has the notification's recipient.
      `SELECT d.user_id, CASE WHEN d.user_id IS NULL THEN n.recipient ELSE p.phone_number END AS phone_number, n.sender_id, n.notification_type, n.title, n.message, n.action_url, n.metadata
         FROM notification_deliveries d JOIN notifications n ON n.id = d.notification_id
         LEFT JOIN user_phone_numbers p ON p.user_id = d.user_id
        WHERE d.id = ? AND d.channel = 'sms'`,
      [deliveryId],
    );
    const row = rows[0];
    if (!row) return null;
    const ids = [row.user_id, row.sender_id].filter((id): id is string => !!id);
    const people = new Map(ids.length ? (await conn.execute<{ id: string; first_name: string | null; username: string | null }[]>(
      `SELECT id, first_name, username FROM users WHERE id IN (?)`, [ids],
    )).map((p) => [p.id, p]) : []);
    const name = (id: string | null) => (id ? people.get(id)?.first_name?.trim() || people.get(id)?.username || null : null);
    const rendered = await this.templates.render(em, {
      type: row.notification_type,
      channel: 'sms',
      language: null,
      vars: {
        title: row.title, message: row.message, actionUrl: absoluteUrl(this.appPublicUrl, row.action_url),
        recipientName: name(row.user_id), senderName: name(row.sender_id), metadata: row.metadata ?? {},
      },
    });
    return { to: row.phone_number, body: rendered.text };
  }
}
