import { Entity, PrimaryKey, Property } from '@mikro-orm/core';
import type { TemplateChannel } from './template-engine';

/**
 * One message template: per notification type, channel (`template_type`: email, push, sms) and
 * language (UNIQUE). `body` (and `subject`) are Handlebars; `variables` documents the variables it may
 * use (name → description). Email templates always have a subject.
 */
@Entity({ tableName: 'notification_templates' })
export class NotificationTemplate {
  @PrimaryKey({ type: 'uuid' }) id!: string;
  @Property({ type: 'string', length: 100 }) name!: string;
  @Property({ type: 'string', length: 30 }) notificationType!: string;
  @Property({ type: 'string', length: 10, fieldName: 'template_type' }) channel!: TemplateChannel;
  @Property({ type: 'string', length: 200, nullable: true }) subject?: string | null;
  @Property({ type: 'text' }) body!: string;
  @Property({ type: 'json' }) variables: Record<string, string> = {};
  @Property({ type: 'boolean' }) isActive: boolean = true;
  @Property({ type: 'string', length: 10 }) language: string = 'en';
  @Property({ type: 'datetime' }) createdAt: Date = new Date();
  @Property({ type: 'datetime' }) updatedAt: Date = new Date();
}
