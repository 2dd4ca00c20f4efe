import { Injectable } from '@nestjs/common';
import { DriverException, EntityManager, LockMode, MikroORM, UniqueConstraintViolationException } from '@mikro-orm/postgresql';
import { SystemConfiguration } from './system-configuration.entity';

/**
 * A write failed. Carries the SQL state only: the driver's message quotes the statement with its
 * parameters, which may include a sensitive value, and 5xx errors are logged.
 */
export class ConfigurationWriteError extends Error {
  constructor(readonly sqlState: string | undefined) {
    super(`writing a system configuration failed (SQLSTATE ${sqlState ?? 'unknown'})`);
    this.name = 'ConfigurationWriteError';
  }
}

@Injectable()
export class SystemConfigurationRepository {
  constructor(private readonly orm: MikroORM) {}

  /**
   * Runs `fn` in a transaction; a unique-key race (two first PUTs of one key) is retried once,
   * when the row exists and the retry updates it. Driver errors lose their message (see ConfigurationWriteError).
   */
  async transaction<T>(fn: (em: EntityManager) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.orm.em.fork().transactional(fn);
      } catch (err) {
        if (err instanceof UniqueConstraintViolationException && attempt === 1) continue;
        if (err instanceof DriverException) throw new ConfigurationWriteError(err.sqlState);
        throw err;
      }
    }
  }

  findByKey(key: string, em: EntityManager = this.orm.em.fork()): Promise<SystemConfiguration | null> {
    return em.findOne(SystemConfiguration, { key });
  }

  findByKeyForUpdate(key: string, em: EntityManager): Promise<SystemConfiguration | null> {
    return em.findOne(SystemConfiguration, { key }, { lockMode: LockMode.PESSIMISTIC_WRITE });
  }

  list(limit: number, offset: number): Promise<[SystemConfiguration[], number]> {
    return this.orm.em.fork().findAndCount(SystemConfiguration, {}, { orderBy: { key: 'asc' }, limit, offset });
  }

  async insert(c: SystemConfiguration, em: EntityManager): Promise<void> {
    await em.persist(c).flush();
  }

  async flush(em: EntityManager): Promise<void> {
    await em.flush();
  }

  async remove(c: SystemConfiguration, em: EntityManager): Promise<void> {
    await em.remove(c).flush();
  }
}
