import { Entity, PrimaryKey, Property } from '@mikro-orm/core';

export type UserRole = 'user' | 'premium' | 'admin';

@Entity({ tableName: 'users' })
export class User {
  @PrimaryKey({ type: 'uuid' }) id!: string;
  @Property({ type: 'string', length: 150 }) username!: string;
  @Property({ type: 'string', length: 254 }) email!: string;
  @Property({ type: 'string', length: 128, hidden: true, lazy: true }) password!: string;
  @Property({ type: 'string', length: 150, nullable: true }) firstName?: string | null;
  @Property({ type: 'string', length: 150, nullable: true }) lastName?: string | null;
  @Property({ type: 'string', length: 17, nullable: true }) phoneNumber?: string | null;
  @Property({ type: 'string', length: 100, nullable: true }) avatar?: string | null;
  @Property({ type: 'text', nullable: true }) bio?: string | null;
  @Property({ type: 'date', nullable: true }) dateOfBirth?: string | null;
  @Property({ type: 'string', length: 3 }) preferredCurrency: string = 'USD';
  @Property({ type: 'string', length: 50 }) timezone: string = 'UTC';
  @Property({ type: 'json' }) userNotificationPreferences: Record<string, unknown> = {};
  @Property({ type: 'string', length: 20 }) role: UserRole = 'user';
  @Property({ type: 'boolean' }) isVerified: boolean = false;
  @Property({ type: 'boolean' }) isPremium: boolean = false;
  @Property({ type: 'string', length: 20 }) profileVisibility: 'public' | 'friends' | 'private' = 'friends';
  @Property({ type: 'string', columnType: 'inet', nullable: true }) lastLoginIp?: string | null;
  @Property({ type: 'integer' }) failedLoginAttempts: number = 0;
  @Property({ type: 'datetime', nullable: true }) accountLockedUntil?: Date | null;
  @Property({ type: 'boolean' }) isActive: boolean = true;
  @Property({ type: 'boolean' }) isStaff: boolean = false;
  @Property({ type: 'boolean' }) isSuperuser: boolean = false;
  @Property({ type: 'datetime' }) dateJoined: Date = new Date();
  @Property({ type: 'datetime', nullable: true }) lastLogin?: Date | null;
  @Property({ type: 'datetime' }) createdAt: Date = new Date();
  @Property({ type: 'datetime', onUpdate: () => new Date() }) updatedAt: Date = new Date();
}

@Entity({ tableName: 'email_verifications' })
export class EmailVerification {
  @PrimaryKey({ type: 'uuid' }) id!: string;
  @Property({ type: 'uuid' }) userId!: string;
  /** SHA-256 of the token mailed to the user; the token itself is never stored. */
  @Property({ type: 'string', length: 100, unique: true }) token!: string;
  @Property({ type: 'string', length: 254 }) email!: string;
  @Property({ type: 'boolean' }) isUsed: boolean = false;
  @Property({ type: 'datetime' }) expiresAt!: Date;
  @Property({ type: 'datetime' }) createdAt: Date = new Date();
  @Property({ type: 'datetime', onUpdate: () => new Date() }) updatedAt: Date = new Date();
}
