import { Controller } from '@nestjs/common';
import { Ctx, EventOf, EventPattern, HandlerContext, Payload } from '@tally/messaging';
import { PushDeviceRepository } from './push-device.repository';

/** Keeps `push_devices` in step with auth-service's device.* events (auth.device.v1). */
@Controller()
export class PushDeviceHandlers {
  constructor(private readonly devices: PushDeviceRepository) {}

  /** Registered, reactivated or changed (name, type); reactivates a device deactivated as gone. */
  @EventPattern('device.registered')
  onRegistered(@Payload() e: EventOf<'device.registered'>, @Ctx() { em }: HandlerContext): Promise<void> {
    return this.devices.apply(em, e.data, 'device.registered', e.time);
  }

  /** Removed by its owner, or its install now belongs to another account: no more pushes to it. */
  @EventPattern('device.removed')
  onRemoved(@Payload() e: EventOf<'device.removed'>, @Ctx() { em }: HandlerContext): Promise<void> {
    return this.devices.apply(em, e.data, 'device.removed', e.time);
  }
}
