import type { Channel, Priority } from '../notifications/notification-types';

/** A recipient's choices for one notification type (the stored preference or the type's default). */
export interface PlannerPreference {
  enabled: boolean;
  channels: readonly Channel[];
  quietHours: { start: string; end: string } | null;
  frequency: 'immediate' | 'hourly' | 'daily' | 'weekly';
}

/** What the planner knows about a recipient (the users and push_devices projections). */
export interface PlannerRecipient {
  timezone: string | null;
  /** Emails go only to a verified address (an address never confirmed is not spammed). */
  email: string | null;
  emailVerified: boolean;
  /** Active push devices' ids. */
  pushDevices: readonly string[];
  /** The phone number auth holds for them (`user_phone_numbers`); SMS goes only where there is one. */
  phoneNumber?: string | null;
  /** The recipient muted the group this notification is about. */
  groupMuted?: boolean;
}

export interface PlannedDelivery {
  channel: 'email' | 'push' | 'sms';
  /** The push device id; '' for email and SMS (the job reads the number when it sends). */
  target: string;
  /** Not before this (the end of quiet hours, or now). */
  deliverAfter: Date;
  /** Set when the recipient's frequency limit gathers it into a digest sent at this time. */
  digestAt: Date | null;
}

export interface DeliveryPlan {
  /** False: nothing at all for this person (type disabled, group muted, or no channel left). */
  store: boolean;
  /** The truth for `notifications.delivery_channels`: in_app when it shows in the inbox, plus every planned channel. */
  channels: Channel[];
  deliveries: PlannedDelivery[];
}

export interface PlannerClock {
  now: Date;
  /** The instant the quiet window containing `at` ends in `timezone`, or null when `at` is outside it. */
  quietHoursEnd(at: Date, timezone: string | null, quiet: { start: string; end: string }): Date | null;
  /** When the next digest of this frequency goes out in `timezone`, after `at`. */
  nextDigestAt(at: Date, timezone: string | null, frequency: 'hourly' | 'daily' | 'weekly'): Date;
}

/**
 * Decides, for one recipient of one notification, what is stored and what goes out where and when
 * (ADR 0013):
 * - a disabled type or a muted group produces nothing (urgent ones, e.g. a failed payment, are never muted by a group);
 * - in-app is immediate (the inbox and the live stream); quiet hours and digests never hold it back;
 * - outbound channels wait for the end of the recipient's quiet hours, except `urgent` notifications;
 * - a frequency limit other than `immediate` gathers emails into a digest (hourly, daily or weekly,
 *   in the recipient's time zone, and not inside quiet hours); push and SMS are immediate channels,
 *   so under a digest frequency they send nothing and the digest carries the notification;
 * - email needs a verified address; push one delivery per active device; SMS one delivery when the
 *   recipient has a phone number (auth does not verify numbers, so SMS is opt-in: only where the
 *   recipient's channels, or an urgent type's defaults, include it).
 */
export function planDelivery(priority: Priority, pref: PlannerPreference, who: PlannerRecipient, clock: PlannerClock): DeliveryPlan {
  const urgent = priority === 'urgent';
  if (!pref.enabled || (who.groupMuted && !urgent)) return { store: false, channels: [], deliveries: [] };
  const wants = new Set(pref.channels);
  const notBefore = (at: Date): Date => (!urgent && pref.quietHours ? (clock.quietHoursEnd(at, who.timezone, pref.quietHours) ?? at) : at);
  const immediate = urgent || pref.frequency === 'immediate';
  const deliveries: PlannedDelivery[] = [];

  if (wants.has('email') && who.email && who.emailVerified) {
    if (immediate) {
      deliveries.push({ channel: 'email', target: '', deliverAfter: notBefore(clock.now), digestAt: null });
    } else {
      const digestAt = notBefore(clock.nextDigestAt(clock.now, who.timezone, pref.frequency as 'hourly' | 'daily' | 'weekly'));
      deliveries.push({ channel: 'email', target: '', deliverAfter: digestAt, digestAt });
    }
  }
  if (wants.has('push') && immediate) {
    const after = notBefore(clock.now);
    for (const device of [...new Set(who.pushDevices)].sort()) deliveries.push({ channel: 'push', target: device, deliverAfter: after, digestAt: null });
  }

  if (wants.has('sms') && immediate && who.phoneNumber) {
    deliveries.push({ channel: 'sms', target: '', deliverAfter: notBefore(clock.now), digestAt: null });
  }

  const channels: Channel[] = [];
  if (wants.has('in_app')) channels.push('in_app');
  for (const c of ['email', 'push', 'sms'] as const) if (deliveries.some((d) => d.channel === c)) channels.push(c);
  return { store: channels.length > 0, channels, deliveries };
}
