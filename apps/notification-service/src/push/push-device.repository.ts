import { Injectable } from '@nestjs/common';
import { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { freshEm, inTransaction } from '@tally/persistence';
import type { EventData } from '@tally/contracts';
import type { PushTarget } from './push-sender';

/** A `push_devices` row as the push job reads it. */
export interface PushDevice extends PushTarget {
  userId: string;
  isActive: boolean;
  deactivatedReason: string | null;
}

/**
 * The only code that touches `push_devices`: the projection of auth's `device.*` events
 * (auth.device.v1) plus the push channel's own verdict that a subscription is gone.
 *
 * Events older than what a row reflects (`last_event_at`) are ignored. A `device.registered` that
 * is newer makes the device active again, whatever deactivated it (removed, or reported gone by the
 * push service): auth re-registered it, so it is worth trying again. The token is a secret: it is
 * stored, never logged, and leaves only towards the push service.
 */
@Injectable()
export class PushDeviceRepository {
  async apply(em: EntityManager, d: EventData<'device.registered'>, type: 'device.registered' | 'device.removed', at: string): Promise<void> {
    const active = type === 'device.registered' && d.isActive;
    const reason = active ? null : 'removed';
    await em.getConnection().execute(
      `INSERT INTO push_devices (device_id, user_id, device_type, device_name, token, is_active, deactivated_reason, last_event_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (device_id) DO UPDATE SET user_id = EXCLUDED.user_id, device_type = EXCLUDED.device_type, device_name = EXCLUDED.device_name,
         token = EXCLUDED.token, is_active = EXCLUDED.is_active, deactivated_reason = EXCLUDED.deactivated_reason,
         last_event_at = EXCLUDED.last_event_at, updated_at = now()
       WHERE push_devices.last_event_at <= EXCLUDED.last_event_at`,
      [d.deviceId, d.userId, d.deviceType, d.deviceName, d.deviceToken, active, reason, at], 'run', em.getTransactionContext(),
    );
  }

  async find(em: EntityManager, deviceId: string): Promise<PushDevice | null> {
    const rows: { device_id: string; user_id: string; device_type: PushDevice['deviceType']; token: string; is_active: boolean; deactivated_reason: string | null }[] =
      await em.getConnection().execute(
        `SELECT device_id, user_id, device_type, token, is_active, deactivated_reason FROM push_devices WHERE device_id = ?`,
        [deviceId], 'all', em.getTransactionContext(),
      );
    const r = rows[0];
    return r ? { deviceId: r.device_id, userId: r.user_id, deviceType: r.device_type, token: r.token, isActive: r.is_active, deactivatedReason: r.deactivated_reason } : null;
  }

  /**
   * The push channel's own verdict: the push service said the subscription no longer exists (404/410,
   * reason `gone`), or its endpoint is not an allowed push service (`endpoint_not_allowed`): inactive.
   * Only while it still holds the token that was refused (a newer registration is left alone).
   * `last_event_at` stays auth's: a later `device.registered` reactivates it.
   */
  async deactivate(em: EntityManager, deviceId: string, token: string, reason: 'gone' | 'endpoint_not_allowed'): Promise<boolean> {
    const res = await em.getConnection().execute<{ affectedRows: number }>(
      `UPDATE push_devices SET is_active = FALSE, deactivated_reason = ?, updated_at = now() WHERE device_id = ? AND token = ? AND is_active`,
      [reason, deviceId, token], 'run', em.getTransactionContext(),
    );
    return res.affectedRows > 0;
  }
}

/** The push job's view of the devices over the worker's ORM: reads on a fresh context, the deactivation in its own transaction. */
export class OrmPushDevices {
  constructor(private readonly orm: MikroORM, private readonly repo = new PushDeviceRepository()) {}

  find(deviceId: string): Promise<PushDevice | null> {
    return this.repo.find(freshEm(this.orm), deviceId);
  }

  deactivate(deviceId: string, token: string, reason: 'gone' | 'endpoint_not_allowed'): Promise<boolean> {
    return inTransaction(this.orm, (em) => this.repo.deactivate(em, deviceId, token, reason));
  }
}
