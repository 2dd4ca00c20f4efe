import { CHANNELS, Channel, NOTIFICATION_TYPES, NotificationType, NotificationTypeInfo } from '../notifications/notification-types';
import { minutesOfDay } from './preference-schedule';

export const FREQUENCIES = ['immediate', 'hourly', 'daily', 'weekly'] as const;
export type Frequency = (typeof FREQUENCIES)[number];

/** What a delivery planner needs to know about one user's choice for one notification type. */
export interface EffectivePreference {
  enabled: boolean;
  /** In CHANNELS order, no duplicates; may be empty (nothing is delivered, not even in-app). */
  channels: Channel[];
  /** Wall-clock times in the user's time zone (`HH:MM`); null when the user has none. */
  quietHours: { start: string; end: string } | null;
  frequency: Frequency;
}

/** A stored `notification_preferences` row, as the entity holds it. */
export interface StoredPreference {
  isEnabled: boolean;
  deliveryMethods: unknown;
  /** `HH:MM` or PostgreSQL's `HH:MM:SS`. */
  quietHoursStart?: string | null;
  quietHoursEnd?: string | null;
  frequencyLimit: string;
}

const hhmm = (minutes: number) => `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;

/** The type's default: enabled, its default channels, no quiet hours, immediate. */
export function defaultPreference(type: NotificationType): EffectivePreference {
  return { enabled: true, channels: [...NOTIFICATION_TYPES[type].defaultChannels], quietHours: null, frequency: 'immediate' };
}

/**
 * What applies to a user for `type`: their stored row, or the type's default when they have none.
 * A transactional type (account emails) always gets its default: those are never muted or delayed.
 * The row is read defensively: unknown channels are dropped, quiet hours that are not two distinct
 * times count as none, an unknown frequency as `immediate`.
 */
export function effectivePreference(row: StoredPreference | null, type: NotificationType): EffectivePreference {
  if (!row || (NOTIFICATION_TYPES[type] as NotificationTypeInfo).transactional) return defaultPreference(type);
  const methods = Array.isArray(row.deliveryMethods) ? (row.deliveryMethods as unknown[]) : [];
  const channels = CHANNELS.filter((c) => methods.includes(c));
  const start = row.quietHoursStart ? minutesOfDay(row.quietHoursStart) : null;
  const end = row.quietHoursEnd ? minutesOfDay(row.quietHoursEnd) : null;
  const quietHours = start !== null && end !== null && start !== end ? { start: hhmm(start), end: hhmm(end) } : null;
  const frequency = (FREQUENCIES as readonly string[]).includes(row.frequencyLimit) ? (row.frequencyLimit as Frequency) : 'immediate';
  return { enabled: row.isEnabled, channels, quietHours, frequency };
}
