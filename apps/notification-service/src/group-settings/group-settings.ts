import { Controller, Injectable, Module } from '@nestjs/common';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Ctx, EventOf, EventPattern, HandlerContext, Payload } from '@tally/messaging';
import type { NotificationType } from '../notifications/notification-types';

/** A member's switches for one group; a missing key means "notify". */
export interface GroupNotificationPreferences {
  expenses?: boolean;
  comments?: boolean;
  settlements?: boolean;
  members?: boolean;
  muted?: boolean;
}

/** Which group switch silences a notification type (types not listed are never silenced by a group). */
const CATEGORY: Partial<Record<NotificationType, keyof GroupNotificationPreferences>> = {
  expense_added: 'expenses',
  expense_updated: 'expenses',
  expense_deleted: 'expenses',
  expense_approval_needed: 'expenses',
  recurring_expense_generated: 'expenses',
  expense_comment: 'comments',
  expense_comment_reply: 'comments',
  settlement_requested: 'settlements',
  settlement_confirmed: 'settlements',
  settlement_completed: 'settlements',
  settlement_cancelled: 'settlements',
  settlement_overdue: 'settlements',
  payment_failed: 'settlements',
  group_member_added: 'members',
};

/** Whether a member's group switches silence this type: the group muted, or the type's category off. */
export function silencedByGroup(type: NotificationType, prefs: GroupNotificationPreferences | undefined): boolean {
  const category = CATEGORY[type];
  if (!prefs || !category) return false;
  return prefs.muted === true || prefs[category] === false;
}

/** The projection of members' per-group notification switches (membership.preferences_updated). */
@Injectable()
export class GroupSettingsRepository {
  /** Newer events only: an older one arriving late (a replay) changes nothing. */
  async upsert(em: EntityManager, groupId: string, userId: string, prefs: GroupNotificationPreferences, at: string): Promise<void> {
    await em.getConnection().execute(
      `INSERT INTO group_notification_settings (group_id, user_id, preferences, last_event_at) VALUES (?, ?, ?::jsonb, ?)
       ON CONFLICT (group_id, user_id) DO UPDATE SET preferences = EXCLUDED.preferences, last_event_at = EXCLUDED.last_event_at
       WHERE group_notification_settings.last_event_at <= EXCLUDED.last_event_at`,
      [groupId, userId, JSON.stringify(prefs), at], 'run', em.getTransactionContext(),
    );
  }

  /** The members' switches for a group (members without any are absent). */
  async forGroup(em: EntityManager, groupId: string, userIds: readonly string[]): Promise<Map<string, GroupNotificationPreferences>> {
    if (!userIds.length) return new Map();
    const rows = await em.getConnection().execute<{ user_id: string; preferences: GroupNotificationPreferences }[]>(
      `SELECT user_id, preferences FROM group_notification_settings WHERE group_id = ? AND user_id IN (?)`,
      [groupId, [...new Set(userIds)]], 'all', em.getTransactionContext(),
    );
    return new Map(rows.map((r) => [r.user_id, r.preferences]));
  }
}

@Controller()
export class GroupSettingsHandlers {
  constructor(private readonly settings: GroupSettingsRepository) {}

  @EventPattern('membership.preferences_updated')
  async onPreferencesUpdated(@Payload() e: EventOf<'membership.preferences_updated'>, @Ctx() { em }: HandlerContext): Promise<void> {
    const d = e.data;
    await this.settings.upsert(em, d.groupId, d.userId, d.notificationPreferences ?? {}, d.at);
  }
}

@Module({ controllers: [GroupSettingsHandlers], providers: [GroupSettingsRepository], exports: [GroupSettingsRepository] })
export class GroupSettingsModule {}
