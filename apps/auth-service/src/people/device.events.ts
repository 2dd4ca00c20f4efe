import type { NewEvent } from '@tally/messaging';
import type { UserDevice } from './device.entity';

export type DeviceSnapshot = Pick<UserDevice, 'id' | 'userId' | 'deviceType' | 'deviceToken' | 'isActive'> & { deviceName?: string | null };

function event<T extends 'device.registered' | 'device.removed'>(type: T, d: DeviceSnapshot): NewEvent<T> {
  return {
    type,
    subject: d.id,
    data: {
      deviceId: d.id, userId: d.userId, deviceType: d.deviceType, deviceName: d.deviceName ?? null, deviceToken: d.deviceToken,
      isActive: d.isActive, at: new Date().toISOString(),
    },
  } as NewEvent<T>;
}

/**
 * The events of a push device (`auth.device.v1`, keyed by device id). They carry the push token,
 * so the topic is read only by notification-service.
 */
export const DeviceEvents = {
  registered: (d: DeviceSnapshot) => event('device.registered', d),
  removed: (d: DeviceSnapshot) => event('device.removed', d),
};
