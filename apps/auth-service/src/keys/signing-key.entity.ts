import { Entity, PrimaryKey, Property } from '@mikro-orm/core';
import type { JWK } from 'jose';

@Entity({ tableName: 'signing_keys' })
export class SigningKey {
  @PrimaryKey({ type: 'string', length: 100 }) kid!: string;
  @Property({ type: 'string', length: 10 }) alg: 'ES256' = 'ES256';
  @Property({ type: 'json' }) publicJwk!: JWK;
  @Property({ type: 'json', hidden: true }) privateJwk!: JWK;
  @Property({ type: 'string', length: 20 }) status: 'active' | 'retired' = 'active';
  @Property({ type: 'datetime' }) createdAt: Date = new Date();
  @Property({ type: 'datetime', nullable: true }) retiredAt?: Date | null;
}
