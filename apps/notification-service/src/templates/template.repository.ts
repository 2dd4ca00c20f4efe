import { Injectable } from '@nestjs/common';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { TimeIdCursor } from '@tally/service-kit';
import { NotificationTemplate } from './notification-template.entity';
import type { TemplateChannel } from './template-engine';

export interface TemplateListFilter {
  type?: string;
  channel?: string;
  language?: string;
  /** The last row of the previous page. */
  after?: TimeIdCursor;
}

export interface TemplateChanges {
  subject?: string | null;
  body?: string;
  variables?: Record<string, string>;
  isActive?: boolean;
}

/** The only code that touches `notification_templates`; every method takes the EntityManager first. */
@Injectable()
export class TemplateRepository {
  /** The active templates of a type and channel in any of `languages` (the caller picks by its order). */
  async findActive(em: EntityManager, type: string, channel: TemplateChannel, languages: string[]): Promise<NotificationTemplate[]> {
    return em.find(NotificationTemplate, { notificationType: type, channel, language: { $in: languages }, isActive: true }, { disableIdentityMap: true });
  }

  /**
   * Newest first (ties by id), after the cursor; `limit` rows at most. Times compare at millisecond
   * precision, the cursor's: the seeded templates share one microsecond-precise `created_at`, and an
   * exact comparison with the cursor's would skip the rest of them.
   */
  async list(em: EntityManager, q: TemplateListFilter, limit: number): Promise<NotificationTemplate[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (q.type) (where.push('notification_type = ?'), params.push(q.type));
    if (q.channel) (where.push('template_type = ?'), params.push(q.channel));
    if (q.language) (where.push('language = ?'), params.push(q.language));
    if (q.after) (where.push(`(date_trunc('milliseconds', created_at), id) < (?::timestamptz, ?::uuid)`), params.push(q.after.at, q.after.id));
    const rows = await em.getConnection().execute<Record<string, unknown>[]>(
      `SELECT * FROM notification_templates ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY date_trunc('milliseconds', created_at) DESC, id DESC LIMIT ?`,
      [...params, limit], 'all', em.getTransactionContext(),
    );
    return rows.map((r) => em.map(NotificationTemplate, r));
  }

  async findById(em: EntityManager, id: string): Promise<NotificationTemplate | null> {
    return em.findOne(NotificationTemplate, { id }, { disableIdentityMap: true });
  }

  /** Applies the changes (and a new `updated_at`); the row after, or null when there is none. */
  async update(em: EntityManager, id: string, changes: TemplateChanges): Promise<NotificationTemplate | null> {
    const n = await em.nativeUpdate(NotificationTemplate, { id }, { ...changes, updatedAt: new Date() });
    return n ? this.findById(em, id) : null;
  }

  /** Inserts it unless one exists for its type, channel and language (or its name): false then. */
  async insert(em: EntityManager, t: NotificationTemplate): Promise<boolean> {
    const rows = await em.getConnection().execute<{ id: string }[]>(
      `INSERT INTO notification_templates (id, name, notification_type, template_type, subject, body, variables, is_active, language, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?::jsonb, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING id`,
      [t.id, t.name, t.notificationType, t.channel, t.subject ?? null, t.body, JSON.stringify(t.variables), t.isActive, t.language, t.createdAt, t.updatedAt],
      'all', em.getTransactionContext(),
    );
    return rows.length === 1;
  }
}
