import { Injectable } from '@nestjs/common';
import { LockMode } from '@mikro-orm/core';
import { EntityManager } from '@mikro-orm/postgresql';
import { randomUUID } from 'node:crypto';
import { User } from '../users/user.entity';
import { UserProfile } from './user-profile.entity';

/** Profiles, and the user-level public fields of `users` (through the users module's entity, read and updated here). */
@Injectable()
export class ProfileRepository {
  findUser(em: EntityManager, id: string): Promise<User | null> {
    return em.findOne(User, { id });
  }

  /** The user row, locked for update until the transaction ends. */
  lockUser(em: EntityManager, id: string): Promise<User | null> {
    return em.findOne(User, { id }, { lockMode: LockMode.PESSIMISTIC_WRITE });
  }

  findProfile(em: EntityManager, userId: string): Promise<UserProfile | null> {
    return em.findOne(UserProfile, { userId });
  }

  /**
   * The user's profile, created if it does not exist yet (users registered after the people migration
   * get theirs on first access). Race-free: concurrent first accesses insert once. Locked when `lock`.
   */
  async ensureProfile(em: EntityManager, userId: string, lock = false): Promise<UserProfile> {
    await em.getConnection().execute(
      `INSERT INTO user_profiles (id, user_id) VALUES (?, ?) ON CONFLICT (user_id) DO NOTHING`,
      [randomUUID(), userId],
      'run',
      em.getTransactionContext(),
    );
    return em.findOneOrFail(UserProfile, { userId }, lock ? { lockMode: LockMode.PESSIMISTIC_WRITE } : {});
  }

  async flush(em: EntityManager): Promise<void> {
    await em.flush();
  }
}
