import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Logger } from 'pino';
import { HandlerContext } from '@tally/messaging';
import { ServiceRuntime } from '@tally/service-kit';
import { GroupNotificationPreferences, GroupSettingsRepository, silencedByGroup } from '../group-settings/group-settings';
import { NOTIFICATION_TYPES, NotificationType, Priority } from '../notifications/notification-types';
import { DeliveryPlan, PlannerClock, PlannerPreference, planDelivery } from './delivery-planner';
import { DeliveryPlanRepository } from './delivery-plan.repository';
import { DeliveryQueue, isQueuedChannel } from './delivery-queue';

/** Where the planner reads each recipient's preference for a type (defaults for those with none). */
export const PREFERENCE_SOURCE = Symbol('PREFERENCE_SOURCE');
export interface PreferenceSource {
  forUsers(em: EntityManager, userIds: string[], type: NotificationType): Promise<Map<string, PlannerPreference>>;
}

/** Quiet hours and digest times in a recipient's time zone (the preferences module's arithmetic). */
export const PLANNER_TIME = Symbol('PLANNER_TIME');
export type PlannerTime = Omit<PlannerClock, 'now'>;

/** Where the planned deliveries' jobs go (BullMQ; a fake in unit tests). */
export const DELIVERY_QUEUE = Symbol('DELIVERY_QUEUE');
export type DeliveryJobQueue = Pick<DeliveryQueue, 'enqueue'>;

/** The type's default: every default channel, no quiet hours, immediate. */
export function defaultPreference(type: NotificationType): PlannerPreference {
  return { enabled: true, channels: [...NOTIFICATION_TYPES[type].defaultChannels], quietHours: null, frequency: 'immediate' };
}

/**
 * Plans each recipient's deliveries of an event's notifications (planDelivery), stores them with
 * the notifications in the consumer's transaction, and enqueues each due one's job after the
 * commit; a failed enqueue is caught up by the delivery sweeper, and digest deliveries by the
 * digest job.
 */
@Injectable()
export class DeliveryScheduler {
  private readonly log: Logger;

  constructor(
    private readonly repo: DeliveryPlanRepository,
    @Inject(PREFERENCE_SOURCE) private readonly prefs: PreferenceSource,
    @Inject(PLANNER_TIME) private readonly time: PlannerTime,
    @Inject(DELIVERY_QUEUE) private readonly queue: DeliveryJobQueue,
    runtime: ServiceRuntime,
    private readonly groups: GroupSettingsRepository,
  ) {
    this.log = runtime.logger.child({ component: 'delivery-scheduler' });
  }

  /**
   * Each recipient's plan for one notification type (about one group, when `groupId` is given: its
   * members' own switches for the group apply); recipients unknown to the users projection get in-app only.
   */
  async plan(em: EntityManager, type: NotificationType, priority: Priority, userIds: readonly string[], now = new Date(), groupId?: string | null): Promise<Map<string, DeliveryPlan>> {
    const prefs = await this.prefs.forUsers(em, [...userIds], type);
    const recipients = await this.repo.recipients(em, userIds);
    const groupPrefs = groupId ? await this.groups.forGroup(em, groupId, userIds) : new Map<string, GroupNotificationPreferences>();
    const clock: PlannerClock = { now, ...this.time };
    const out = new Map<string, DeliveryPlan>();
    for (const userId of userIds) {
      const who = recipients.get(userId) ?? { timezone: null, email: null, emailVerified: false, pushDevices: [] };
      const groupMuted = silencedByGroup(type, groupPrefs.get(userId));
      out.set(userId, planDelivery(priority, prefs.get(userId) ?? defaultPreference(type), { ...who, groupMuted }, clock));
    }
    return out;
  }

  /** Stores the deliveries of the stored notifications and enqueues the due ones after the commit. */
  async schedule(ctx: HandlerContext, created: readonly { notificationId: string; userId: string | null; plan: DeliveryPlan }[], correlationId?: string): Promise<number> {
    const rows = created.flatMap((c) => c.plan.deliveries.map((delivery) => ({ notificationId: c.notificationId, userId: c.userId, delivery })));
    const scheduled = await this.repo.insert(ctx.em, rows);
    const jobs = scheduled.filter((d) => d.digestAt === null);
    if (jobs.length) {
      ctx.afterCommit(async () => {
        for (const d of jobs) {
          if (!isQueuedChannel(d.channel)) continue;
          try {
            await this.queue.enqueue({ deliveryId: d.id, channel: d.channel, deliverAfter: d.deliverAfter, ...(correlationId ? { correlationId } : {}) });
          } catch (err) {
            this.log.warn({ err: (err as Error).message, deliveryId: d.id }, 'delivery not enqueued; the sweeper will');
            return; // Redis is down: the rest would time out too
          }
        }
      });
    }
    return scheduled.length;
  }
}
