import { Entity, PrimaryKey, Property } from '@mikro-orm/core';

/** A user as auth-service last announced them (`auth.user.v1`): the `users` table of every other service. */
@Entity({ tableName: 'users' })
export class ProjectedUser {
  @PrimaryKey({ type: 'uuid' }) id!: string;
  @Property({ type: 'string', length: 150 }) username!: string;
  @Property({ type: 'string', length: 150, nullable: true }) firstName?: string | null;
  @Property({ type: 'string', length: 150, nullable: true }) lastName?: string | null;
  /** Kept only by services that send mail (data minimisation). */
  @Property({ type: 'string', length: 254, nullable: true }) email?: string | null;
  @Property({ type: 'boolean' }) emailVerified: boolean = false;
  @Property({ type: 'boolean' }) isActive: boolean = true;
  @Property({ type: 'string', length: 3, nullable: true }) preferredCurrency?: string | null;
  @Property({ type: 'string', length: 50, nullable: true }) timezone?: string | null;
  @Property({ type: 'datetime' }) dateJoined!: Date;
  @Property({ type: 'datetime' }) updatedAt: Date = new Date();
  /** Time of the newest event this row reflects; older events are ignored. */
  @Property({ type: 'datetime', nullable: true }) lastEventAt?: Date | null;
}

/** A public key that signs access tokens (`auth.signing-key.v1`). */
@Entity({ tableName: 'signing_keys' })
export class ProjectedSigningKey {
  @PrimaryKey({ type: 'string', length: 100 }) kid!: string;
  @Property({ type: 'string', length: 10 }) alg!: string;
  @Property({ type: 'json' }) publicJwk!: Record<string, string>;
  @Property({ type: 'string', length: 20 }) status!: string;
  @Property({ type: 'datetime' }) createdAt!: Date;
  @Property({ type: 'datetime' }) receivedAt: Date = new Date();
  @Property({ type: 'datetime', nullable: true }) lastEventAt?: Date | null;
}

/** Add these to the entity list of a service that keeps the identity projections. */
export const identityEntities = [ProjectedUser, ProjectedSigningKey];
