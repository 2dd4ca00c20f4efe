import { Entity, PrimaryKey, Property } from '@mikro-orm/core';
import type { ConfigDataType } from './config-values';

/** `system_configurations` of the seed: system-wide settings, one row per key. */
@Entity({ tableName: 'system_configurations' })
export class SystemConfiguration {
  @PrimaryKey({ type: 'uuid' }) id!: string;
  @Property({ type: 'string', length: 100, unique: 'idx_config_key' }) key!: string;
  /** The value as text, read according to dataType. Never serialised as is: see toConfigurationView. */
  @Property({ type: 'text', hidden: true }) value!: string;
  @Property({ type: 'string', length: 20 }) dataType: ConfigDataType = 'string';
  @Property({ type: 'text', nullable: true }) description?: string | null;
  @Property({ type: 'boolean' }) isSensitive: boolean = false;
  @Property({ type: 'datetime' }) createdAt: Date = new Date();
  @Property({ type: 'datetime', onUpdate: () => new Date() }) updatedAt: Date = new Date();
}
