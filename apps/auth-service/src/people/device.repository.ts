import { Injectable } from '@nestjs/common';
import { LockMode } from '@mikro-orm/core';
import { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { UserDevice } from './device.entity';

@Injectable()
export class DeviceRepository {
  constructor(private readonly orm: MikroORM) {}

  transaction<T>(fn: (em: EntityManager) => Promise<T>): Promise<T> {
    return this.orm.em.fork().transactional(fn);
  }

  findByToken(token: string, em: EntityManager): Promise<UserDevice | null> {
    return em.findOne(UserDevice, { deviceToken: token }, { lockMode: LockMode.PESSIMISTIC_WRITE });
  }

  /** The user's active device with this id, locked; null for anyone else's (or an inactive one). */
  findOwnedActive(id: string, userId: string, em: EntityManager): Promise<UserDevice | null> {
    return em.findOne(UserDevice, { id, userId, isActive: true }, { lockMode: LockMode.PESSIMISTIC_WRITE });
  }

  /** The user's active devices, most recently used first. */
  listActive(userId: string, limit: number, offset: number): Promise<[UserDevice[], number]> {
    return this.orm.em.fork().findAndCount(
      UserDevice,
      { userId, isActive: true },
      { orderBy: { lastUsed: 'desc nulls last', createdAt: 'desc', id: 'asc' }, limit, offset },
    );
  }

  async insert(d: UserDevice, em: EntityManager): Promise<void> {
    await em.persist(d).flush();
  }

  async save(em: EntityManager): Promise<void> {
    await em.flush();
  }

  async delete(d: UserDevice, em: EntityManager): Promise<void> {
    await em.remove(d).flush();
  }
}
