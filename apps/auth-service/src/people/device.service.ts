import { Inject, Injectable } from '@nestjs/common';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { randomUUID } from 'node:crypto';
import { OutboxWriter } from '@tally/messaging';
import { freshEm, inTransaction } from '@tally/persistence';
import { PushEndpointAllowlist, parsePushEndpointHosts, pushEndpointProblem } from '@tally/security';
import { CONFIG, Page } from '@tally/service-kit';
import type { AuthServiceConfig } from '../config/auth.config';
import { UserDevice } from './device.entity';
import { DeviceEvents, DeviceSnapshot } from './device.events';
import { DeviceRepository } from './device.repository';
import { RegisterDeviceDto } from './dto/device.dto';
import { PeopleErrors } from './people.exceptions';
import { DeviceView, toDeviceView } from './views';

/**
 * Push-notification devices. A push token identifies one app install, so it belongs to exactly one
 * user: the last one to register it (someone logging into the same phone with another account).
 *
 * - register: new token → new device (201); the caller's own token → reactivated/updated, last_used
 *   refreshed (200); a token registered to another user → that row is deleted (`device.removed` for
 *   its owner) and a new device created for the caller (`device.registered`), so nobody ever sees
 *   or gets the other user's device id. Re-registering an unchanged active device publishes nothing.
 * - touch (POST /devices/:id/seen): refreshes last_used; apps call it (or register again) on start.
 * - remove (DELETE): deactivates (is_active = false, kept so a later registration of the same install
 *   reactivates it); `device.removed`. Only the owner's active devices are found; anything else is 404.
 */
@Injectable()
export class DeviceService {
  /** Where a web device's push endpoint may point (PUSH_ENDPOINT_HOSTS); a setting it cannot read stops the start. */
  private readonly pushHosts: PushEndpointAllowlist;

  constructor(
    private readonly orm: MikroORM,
    private readonly devices: DeviceRepository,
    private readonly outbox: OutboxWriter,
    @Inject(CONFIG) config: Pick<AuthServiceConfig, 'PUSH_ENDPOINT_HOSTS'>,
  ) {
    this.pushHosts = parsePushEndpointHosts(config.PUSH_ENDPOINT_HOSTS);
  }

  async register(userId: string, dto: RegisterDeviceDto): Promise<{ device: DeviceView; created: boolean }> {
    // An SSRF guard: notification-worker POSTs to a web device's endpoint, so only known push services are taken.
    if (dto.deviceType === 'web') {
      const problem = pushEndpointProblem((JSON.parse(dto.deviceToken) as { endpoint: string }).endpoint, this.pushHosts);
      if (problem) throw PeopleErrors.pushEndpointNotAllowed(problem);
    }
    for (let attempt = 1; ; attempt++) {
      try {
        return await inTransaction(this.orm, (em) => this.registerIn(em, userId, dto));
      } catch (err) {
        // The same token registered concurrently: the second sees the first's row on retry.
        if (err instanceof UniqueConstraintViolationException && attempt < 3) continue;
        throw err;
      }
    }
  }

  async list(userId: string, limit: number, offset: number): Promise<Page<DeviceView>> {
    const [rows, total] = await this.devices.listActive(freshEm(this.orm), userId, limit, offset);
    return { items: rows.map(toDeviceView), total, limit, offset };
  }

  async touch(userId: string, id: string): Promise<DeviceView> {
    return inTransaction(this.orm, async (em) => {
      const d = await this.devices.findOwnedActive(em, id, userId);
      if (!d) throw PeopleErrors.deviceNotFound();
      d.lastUsed = new Date();
      await this.devices.save(em);
      return toDeviceView(d);
    });
  }

  async remove(userId: string, id: string): Promise<void> {
    await inTransaction(this.orm, async (em) => {
      const d = await this.devices.findOwnedActive(em, id, userId);
      if (!d) throw PeopleErrors.deviceNotFound();
      d.isActive = false;
      await this.devices.save(em);
      await this.outbox.append(em, DeviceEvents.removed(d));
    });
  }

  private async registerIn(em: EntityManager, userId: string, dto: RegisterDeviceDto): Promise<{ device: DeviceView; created: boolean }> {
    const now = new Date();
    const existing = await this.devices.findByToken(em, dto.deviceToken);
    if (existing && existing.userId === userId) {
      const changed = !existing.isActive || existing.deviceType !== dto.deviceType || (dto.deviceName !== undefined && existing.deviceName !== dto.deviceName);
      existing.isActive = true;
      existing.deviceType = dto.deviceType;
      if (dto.deviceName !== undefined) existing.deviceName = dto.deviceName;
      existing.lastUsed = now;
      await this.devices.save(em);
      if (changed) await this.outbox.append(em, DeviceEvents.registered(existing));
      return { device: toDeviceView(existing), created: false };
    }
    if (existing) {
      // The install now belongs to the caller: it stops being the previous owner's device.
      await this.devices.delete(em, existing);
      if (existing.isActive) await this.outbox.append(em, DeviceEvents.removed({ ...this.snapshot(existing), isActive: false }));
    }
    const d = new UserDevice();
    d.id = randomUUID();
    d.userId = userId;
    d.deviceToken = dto.deviceToken;
    d.deviceType = dto.deviceType;
    d.deviceName = dto.deviceName ?? null;
    d.isActive = true;
    d.lastUsed = now;
    await this.devices.insert(em, d);
    await this.outbox.append(em, DeviceEvents.registered(d));
    return { device: toDeviceView(d), created: true };
  }

  private snapshot(d: UserDevice): DeviceSnapshot {
    return { id: d.id, userId: d.userId, deviceType: d.deviceType, deviceName: d.deviceName ?? null, deviceToken: d.deviceToken, isActive: d.isActive };
  }
}
