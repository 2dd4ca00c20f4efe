import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { NotificationType } from '../notifications/notification-types';
import { NotificationPreference } from './notification-preference.entity';
import { EffectivePreference, StoredPreference, effectivePreference } from './preference-policy';

/** A stored preference as the repository reads it: times as `HH:MM`. */
export interface PreferenceRow extends StoredPreference {
  notificationType: string;
  deliveryMethods: string[];
  quietHoursStart: string | null;
  quietHoursEnd: string | null;
  updatedAt: Date;
}

/** Which fields an upsert sets on an existing row (a PATCH sets some, a PUT all). */
export interface PreferenceFields {
  isEnabled?: boolean;
  channels?: string[];
  /** null clears them. */
  quietHours?: { start: string; end: string } | null;
  frequency?: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const COLUMNS = `notification_type, is_enabled, delivery_methods, to_char(quiet_hours_start, 'HH24:MI') AS quiet_hours_start,
                 to_char(quiet_hours_end, 'HH24:MI') AS quiet_hours_end, frequency_limit, updated_at`;

interface RawRow {
  notification_type: string;
  is_enabled: boolean;
  delivery_methods: string[];
  quiet_hours_start: string | null;
  quiet_hours_end: string | null;
  frequency_limit: string;
  updated_at: Date;
}

const toRow = (r: RawRow): PreferenceRow => ({
  notificationType: r.notification_type,
  isEnabled: r.is_enabled,
  deliveryMethods: r.delivery_methods,
  quietHoursStart: r.quiet_hours_start,
  quietHoursEnd: r.quiet_hours_end,
  frequencyLimit: r.frequency_limit,
  updatedAt: new Date(r.updated_at),
});

/** The only code that touches `notification_preferences`; every method takes the EntityManager first. */
@Injectable()
export class PreferenceRepository {
  /** Every stored preference of the user (types without a row have the default). */
  async findForUser(em: EntityManager, userId: string): Promise<PreferenceRow[]> {
    const rows = await em.getConnection().execute<RawRow[]>(
      `SELECT ${COLUMNS} FROM notification_preferences WHERE user_id = ?`, [userId], 'all', em.getTransactionContext(),
    );
    return rows.map(toRow);
  }

  async findOne(em: EntityManager, userId: string, type: string): Promise<PreferenceRow | null> {
    const rows = await em.getConnection().execute<RawRow[]>(
      `SELECT ${COLUMNS} FROM notification_preferences WHERE user_id = ? AND notification_type = ?`, [userId, type], 'all', em.getTransactionContext(),
    );
    return rows.length ? toRow(rows[0]) : null;
  }

  /**
   * Stores the user's preference for `type` in one statement: a new row gets `initial` (the default
   * with the fields applied), an existing one only the fields given (so two PATCHes of different
   * fields both land).
   */
  async upsert(em: EntityManager, userId: string, type: string, initial: EffectivePreference, fields: PreferenceFields): Promise<PreferenceRow> {
    const has = (k: keyof PreferenceFields) => fields[k] !== undefined;
    const rows = await em.getConnection().execute<RawRow[]>(
      `INSERT INTO notification_preferences AS p (id, user_id, notification_type, is_enabled, delivery_methods, quiet_hours_start, quiet_hours_end, frequency_limit, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?::jsonb, ?::time, ?::time, ?, now(), now())
       ON CONFLICT (user_id, notification_type) DO UPDATE SET
         is_enabled = CASE WHEN ? THEN EXCLUDED.is_enabled ELSE p.is_enabled END,
         delivery_methods = CASE WHEN ? THEN EXCLUDED.delivery_methods ELSE p.delivery_methods END,
         quiet_hours_start = CASE WHEN ? THEN EXCLUDED.quiet_hours_start ELSE p.quiet_hours_start END,
         quiet_hours_end = CASE WHEN ? THEN EXCLUDED.quiet_hours_end ELSE p.quiet_hours_end END,
         frequency_limit = CASE WHEN ? THEN EXCLUDED.frequency_limit ELSE p.frequency_limit END,
         updated_at = now()
       RETURNING ${COLUMNS}`,
      [
        randomUUID(), userId, type, initial.enabled, JSON.stringify(initial.channels), initial.quietHours?.start ?? null, initial.quietHours?.end ?? null, initial.frequency,
        has('isEnabled'), has('channels'), has('quietHours'), has('quietHours'), has('frequency'),
      ],
      'all', em.getTransactionContext(),
    );
    return toRow(rows[0]);
  }

  /** Back to the default: the row goes. True when there was one. */
  async delete(em: EntityManager, userId: string, type: string): Promise<boolean> {
    return (await em.nativeDelete(NotificationPreference, { userId, notificationType: type })) > 0;
  }

  /**
   * What applies for `type` to each of `userIds`, in one query: their stored row or the default. Ids
   * that are not UUIDs cannot have a row and get the default too.
   */
  async forUsers(em: EntityManager, userIds: readonly string[], type: NotificationType): Promise<Map<string, EffectivePreference>> {
    const ids = [...new Set(userIds)];
    const valid = ids.filter((id) => UUID.test(id));
    const stored = new Map<string, PreferenceRow>();
    if (valid.length) {
      const rows = await em.getConnection().execute<(RawRow & { user_id: string })[]>(
        `SELECT user_id, ${COLUMNS} FROM notification_preferences WHERE notification_type = ? AND user_id IN (?)`,
        [type, valid], 'all', em.getTransactionContext(),
      );
      for (const r of rows) stored.set(r.user_id.toLowerCase(), toRow(r));
    }
    return new Map(ids.map((id) => [id, effectivePreference(stored.get(id.toLowerCase()) ?? null, type)]));
  }
}
