import { Entity, PrimaryKey, Property } from '@mikro-orm/core';

export type DeviceType = 'ios' | 'android' | 'web';

/** The seed's `user_devices`: push tokens. A token identifies one app install and belongs to one user at a time. */
@Entity({ tableName: 'user_devices' })
export class UserDevice {
  @PrimaryKey({ type: 'uuid' }) id!: string;
  @Property({ type: 'uuid' }) userId!: string;
  /** APNs/FCM token (≤ 255), or a web device's PushSubscription JSON (≤ 2048). A secret: never returned or logged. */
  @Property({ type: 'string', length: 2048, unique: true }) deviceToken!: string;
  @Property({ type: 'string', length: 20 }) deviceType!: DeviceType;
  @Property({ type: 'string', length: 100, nullable: true }) deviceName?: string | null;
  @Property({ type: 'boolean' }) isActive: boolean = true;
  @Property({ type: 'datetime', nullable: true }) lastUsed?: Date | null;
  @Property({ type: 'datetime' }) createdAt: Date = new Date();
  @Property({ type: 'datetime', onUpdate: () => new Date() }) updatedAt: Date = new Date();
}
