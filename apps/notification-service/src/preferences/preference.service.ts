import { Injectable } from '@nestjs/common';
import { MikroORM } from '@mikro-orm/postgresql';
import { freshEm, inTransaction } from '@tally/persistence';
import { NOTIFICATION_TYPES, NotificationType, NotificationTypeInfo, isNotificationType, preferenceTypes } from '../notifications/notification-types';
import { PreferenceErrors } from './preference.exceptions';
import { PreferenceFields, PreferenceRepository, PreferenceRow } from './preference.repository';
import { EffectivePreference, defaultPreference, effectivePreference } from './preference-policy';

export interface PreferenceView {
  type: string;
  description: string;
  priority: string;
  isEnabled: boolean;
  channels: string[];
  quietHours: { start: string; end: string } | null;
  frequency: string;
  /** True while the user has not set anything for this type (the defaults apply). */
  isDefault: boolean;
}

function toView(type: NotificationType, row: PreferenceRow | null): PreferenceView {
  const p = effectivePreference(row, type);
  const info = NOTIFICATION_TYPES[type] as NotificationTypeInfo;
  return {
    type, description: info.description, priority: info.priority,
    isEnabled: p.enabled, channels: p.channels, quietHours: p.quietHours, frequency: p.frequency, isDefault: row === null,
  };
}

/** The fields of a request body, as the repository stores them. */
export interface PreferenceChange {
  isEnabled?: boolean;
  channels?: string[];
  quietHours?: { start: string; end: string } | null;
  frequency?: string;
}

/** A user's own notification preferences: one per preference type, the default until they change it. */
@Injectable()
export class PreferenceService {
  constructor(private readonly orm: MikroORM, private readonly preferences: PreferenceRepository) {}

  /** Every preference type, in the list's order, with the caller's choice or the default. */
  async list(userId: string): Promise<PreferenceView[]> {
    const rows = new Map((await this.preferences.findForUser(freshEm(this.orm), userId)).map((r) => [r.notificationType, r]));
    return preferenceTypes().map((t) => toView(t, rows.get(t) ?? null));
  }

  async get(userId: string, type: string): Promise<PreferenceView> {
    const t = this.adjustable(type);
    return toView(t, await this.preferences.findOne(freshEm(this.orm), userId, t));
  }

  /** PUT: every field (quiet hours left out are none). */
  async replace(userId: string, type: string, change: Required<Omit<PreferenceChange, 'quietHours'>> & Pick<PreferenceChange, 'quietHours'>): Promise<PreferenceView> {
    return this.store(userId, type, { ...change, quietHours: change.quietHours ?? null });
  }

  /** PATCH: only the fields given; an empty body changes nothing (and stores nothing). */
  async update(userId: string, type: string, change: PreferenceChange): Promise<PreferenceView> {
    const fields = Object.fromEntries(Object.entries(change).filter(([, v]) => v !== undefined)) as PreferenceChange;
    if (!Object.keys(fields).length) return this.get(userId, type);
    return this.store(userId, type, fields);
  }

  /** DELETE: back to the default (idempotent). */
  async reset(userId: string, type: string): Promise<PreferenceView> {
    const t = this.adjustable(type);
    await this.preferences.delete(freshEm(this.orm), userId, t);
    return toView(t, null);
  }

  /** The same quiet hours (or none) on every preference type, in one transaction; the full list after. */
  async setQuietHoursForAll(userId: string, quietHours: { start: string; end: string } | null): Promise<PreferenceView[]> {
    this.checkQuietHours(quietHours);
    await inTransaction(this.orm, async (em) => {
      for (const t of preferenceTypes()) await this.preferences.upsert(em, userId, t, { ...defaultPreference(t), quietHours }, { quietHours });
    });
    return this.list(userId);
  }

  private async store(userId: string, type: string, fields: PreferenceFields): Promise<PreferenceView> {
    const t = this.adjustable(type);
    this.checkQuietHours(fields.quietHours);
    const d = defaultPreference(t);
    const initial: EffectivePreference = {
      enabled: fields.isEnabled ?? d.enabled,
      channels: (fields.channels as EffectivePreference['channels'] | undefined) ?? d.channels,
      quietHours: fields.quietHours === undefined ? d.quietHours : fields.quietHours,
      frequency: (fields.frequency as EffectivePreference['frequency'] | undefined) ?? d.frequency,
    };
    const row = await this.preferences.upsert(freshEm(this.orm), userId, t, initial, fields);
    return toView(t, row);
  }

  private checkQuietHours(q: { start: string; end: string } | null | undefined): void {
    if (q && q.start === q.end) throw PreferenceErrors.sameStartAndEnd();
  }

  /** A type users set preferences for: unknown is 404, an account email 400. */
  private adjustable(type: string): NotificationType {
    if (!isNotificationType(type)) throw PreferenceErrors.typeNotFound(type);
    if ((NOTIFICATION_TYPES[type] as NotificationTypeInfo).transactional) throw PreferenceErrors.notAdjustable(type);
    return type;
  }
}
