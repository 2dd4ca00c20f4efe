import { Entity, PrimaryKey, Property } from '@mikro-orm/core';

/** The seed's `tags`; `usage_count` is kept by a trigger on `expense_tags`. */
@Entity({ tableName: 'tags' })
export class Tag {
  @PrimaryKey({ type: 'uuid' }) id!: string;
  @Property({ type: 'string', length: 50 }) name!: string;
  @Property({ type: 'string', length: 7 }) color: string = '#6c757d';
  @Property({ type: 'text', nullable: true }) description?: string | null;
  @Property({ type: 'integer' }) usageCount: number = 0;
  @Property({ type: 'datetime' }) createdAt: Date = new Date();
  @Property({ type: 'datetime', onUpdate: () => new Date() }) updatedAt: Date = new Date();
}
