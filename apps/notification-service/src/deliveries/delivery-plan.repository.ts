import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { PlannedDelivery, PlannerRecipient } from './delivery-planner';

/** A delivery row just planned, as the after-commit enqueue needs it. */
export interface ScheduledDelivery {
  id: string;
  notificationId: string;
  channel: PlannedDelivery['channel'];
  deliverAfter: Date;
  digestAt: Date | null;
}

/** A scheduled, due delivery the sweeper checks has a job. */
export interface DueDelivery {
  id: string;
  channel: PlannedDelivery['channel'];
  deliverAfter: Date;
}

/** The planning side of `notification_deliveries` (and what it reads to plan: users, push devices). */
@Injectable()
export class DeliveryPlanRepository {
  /** Each user's time zone, verified email, active push devices and phone number; users not projected yet are absent. */
  async recipients(em: EntityManager, userIds: readonly string[]): Promise<Map<string, PlannerRecipient>> {
    const ids = [...new Set(userIds)];
    if (!ids.length) return new Map();
    const conn = em.getConnection();
    const tx = em.getTransactionContext();
    const users = await conn.execute<{ id: string; email: string | null; email_verified: boolean; is_active: boolean; timezone: string | null }[]>(
      `SELECT id, email, email_verified, is_active, timezone FROM users WHERE id IN (?)`, [ids], 'all', tx,
    );
    const devices = await conn.execute<{ user_id: string; device_id: string }[]>(
      `SELECT user_id, device_id FROM push_devices WHERE is_active AND user_id IN (?) ORDER BY device_id`, [ids], 'all', tx,
    );
    const phones = new Map((await conn.execute<{ user_id: string; phone_number: string }[]>(
      `SELECT user_id, phone_number FROM user_phone_numbers WHERE phone_number IS NOT NULL AND user_id IN (?)`, [ids], 'all', tx,
    )).map((p) => [p.user_id, p.phone_number]));
    const out = new Map<string, PlannerRecipient>();
    for (const u of users) {
      if (!u.is_active) continue;
      out.set(u.id, { timezone: u.timezone, email: u.email, emailVerified: u.email_verified, pushDevices: [], phoneNumber: phones.get(u.id) ?? null });
    }
    for (const d of devices) (out.get(d.user_id)?.pushDevices as string[] | undefined)?.push(d.device_id);
    return out;
  }

  /** Stores the planned deliveries of notifications in the caller's transaction; returns them with their ids. */
  /** `userId` null only for an SMS to someone without an account (a phone-only group invitation: the number is the notification's recipient). */
  async insert(em: EntityManager, rows: readonly { notificationId: string; userId: string | null; delivery: PlannedDelivery }[]): Promise<ScheduledDelivery[]> {
    if (!rows.length) return [];
    const out: ScheduledDelivery[] = rows.map((r) => ({
      id: randomUUID(), notificationId: r.notificationId, channel: r.delivery.channel, deliverAfter: r.delivery.deliverAfter, digestAt: r.delivery.digestAt,
    }));
    const values: unknown[] = [];
    rows.forEach((r, i) => values.push(out[i].id, r.notificationId, r.userId, r.delivery.channel, r.delivery.target, r.delivery.deliverAfter, r.delivery.digestAt));
    await em.getConnection().execute(
      `INSERT INTO notification_deliveries (id, notification_id, user_id, channel, target, deliver_after, digest_at)
       VALUES ${rows.map(() => '(?, ?, ?, ?, ?, ?, ?)').join(', ')}
       ON CONFLICT (notification_id, channel, target) DO NOTHING`,
      values, 'run', em.getTransactionContext(),
    );
    return out;
  }

  /** Scheduled, non-digest deliveries due before `dueBefore`, oldest first: each should have a job by now. */
  async findDue(em: EntityManager, dueBefore: Date, limit: number): Promise<DueDelivery[]> {
    const rows = await em.getConnection().execute<{ id: string; channel: DueDelivery['channel']; deliver_after: Date }[]>(
      `SELECT id, channel, deliver_after FROM notification_deliveries
        WHERE status = 'scheduled' AND digest_at IS NULL AND deliver_after < ?
        ORDER BY deliver_after LIMIT ?`,
      [dueBefore, limit],
    );
    return rows.map((r) => ({ id: r.id, channel: r.channel, deliverAfter: new Date(r.deliver_after) }));
  }
}
