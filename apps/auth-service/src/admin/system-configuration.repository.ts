import { Injectable } from '@nestjs/common';
import { DriverException, EntityManager, LockMode } from '@mikro-orm/postgresql';
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

/** A driver error as ConfigurationWriteError (without its message); anything else unchanged. */
export function withoutDriverMessage(err: unknown): unknown {
  return err instanceof DriverException ? new ConfigurationWriteError(err.sqlState) : err;
}

@Injectable()
export class SystemConfigurationRepository {
  findByKey(em: EntityManager, key: string): Promise<SystemConfiguration | null> {
    return em.findOne(SystemConfiguration, { key });
  }

  findByKeyForUpdate(em: EntityManager, key: string): Promise<SystemConfiguration | null> {
    return em.findOne(SystemConfiguration, { key }, { lockMode: LockMode.PESSIMISTIC_WRITE });
  }

  list(em: EntityManager, limit: number, offset: number): Promise<[SystemConfiguration[], number]> {
    return em.findAndCount(SystemConfiguration, {}, { orderBy: { key: 'asc' }, limit, offset });
  }

  async insert(em: EntityManager, c: SystemConfiguration): Promise<void> {
    await em.persist(c).flush();
  }

  async flush(em: EntityManager): Promise<void> {
    await em.flush();
  }

  async remove(em: EntityManager, c: SystemConfiguration): Promise<void> {
    await em.remove(c).flush();
  }
}
