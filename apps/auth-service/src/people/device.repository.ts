import { Injectable } from '@nestjs/common';
import { LockMode } from '@mikro-orm/core';
import { EntityManager } from '@mikro-orm/postgresql';
import { UserDevice } from './device.entity';

@Injectable()
export class DeviceRepository {
  findByToken(em: EntityManager, token: string): Promise<UserDevice | null> {
    return em.findOne(UserDevice, { deviceToken: token }, { lockMode: LockMode.PESSIMISTIC_WRITE });
  }

  /** The user's active device with this id, locked; null for anyone else's (or an inactive one). */
  findOwnedActive(em: EntityManager, id: string, userId: string): Promise<UserDevice | null> {
    return em.findOne(UserDevice, { id, userId, isActive: true }, { lockMode: LockMode.PESSIMISTIC_WRITE });
  }

  /** The user's active devices, most recently used first. */
  listActive(em: EntityManager, userId: string, limit: number, offset: number): Promise<[UserDevice[], number]> {
    return em.findAndCount(
      UserDevice,
      { userId, isActive: true },
      { orderBy: { lastUsed: 'desc nulls last', createdAt: 'desc', id: 'asc' }, limit, offset },
    );
  }

  async insert(em: EntityManager, d: UserDevice): Promise<void> {
    await em.persist(d).flush();
  }

  async save(em: EntityManager): Promise<void> {
    await em.flush();
  }

  async delete(em: EntityManager, d: UserDevice): Promise<void> {
    await em.remove(d).flush();
  }
}
