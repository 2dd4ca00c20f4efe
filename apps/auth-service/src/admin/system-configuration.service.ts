import { Injectable, Logger, Optional } from '@nestjs/common';
import { EntityManager, MikroORM, UniqueConstraintViolationException } from '@mikro-orm/postgresql';
import { AuthSecrets } from '../keys/secrets';
import { randomUUID } from 'node:crypto';
import { freshEm, inTransaction } from '@tally/persistence';
import { Page } from '@tally/service-kit';
import { AdminErrors } from './admin.exceptions';
import { AdminCaller } from './admin-policy';
import { ConfigDataType, ConfigurationView, configValueProblem, toConfigurationView } from './config-values';
import { SystemConfiguration } from './system-configuration.entity';
import { SystemConfigurationRepository, withoutDriverMessage } from './system-configuration.repository';

export interface PutConfiguration {
  value: string;
  dataType: ConfigDataType;
  /** undefined keeps the current description, null clears it. */
  description?: string | null;
  /** undefined keeps the current flag (false for a new key). */
  isSensitive?: boolean | null;
}

/**
 * System-wide settings. Values leave the service only through toConfigurationView, which masks
 * sensitive ones; nothing here logs a value. Sensitive values are sealed at rest with SECRETS_KEY
 * (AuthSecrets) when it is set.
 */
@Injectable()
export class SystemConfigurationService {
  private readonly log = new Logger('AdminConfigurations');

  constructor(
    private readonly orm: MikroORM,
    private readonly configs: SystemConfigurationRepository,
    @Optional() private readonly secrets?: AuthSecrets,
  ) {}

  async list(limit: number, offset: number): Promise<Page<ConfigurationView>> {
    const [rows, total] = await this.configs.list(freshEm(this.orm), limit, offset);
    return { items: rows.map(toConfigurationView), total, limit, offset };
  }

  async get(key: string): Promise<ConfigurationView> {
    const c = await this.configs.findByKey(freshEm(this.orm), key);
    if (!c) throw AdminErrors.configurationNotFound();
    return toConfigurationView(c);
  }

  /** Creates or replaces the configuration under `key`; `created` tells which. */
  async put(caller: AdminCaller, key: string, input: PutConfiguration): Promise<{ created: boolean; configuration: ConfigurationView }> {
    const problem = configValueProblem(input.dataType, input.value);
    if (problem) throw AdminErrors.invalidConfigurationValue(problem);
    const result = await this.write(async (em) => {
      const existing = await this.configs.findByKeyForUpdate(em, key);
      const c = existing ?? Object.assign(new SystemConfiguration(), { id: randomUUID(), key });
      c.dataType = input.dataType;
      if (input.description !== undefined) c.description = input.description;
      c.isSensitive = input.isSensitive ?? existing?.isSensitive ?? false;
      c.value = c.isSensitive && this.secrets ? this.secrets.seal(input.value) : input.value;
      if (existing) await this.configs.flush(em);
      else await this.configs.insert(em, c);
      return { created: !existing, configuration: toConfigurationView(c) };
    });
    this.log.log({
      msg: result.created ? 'configuration created' : 'configuration updated',
      key, dataType: input.dataType, isSensitive: result.configuration.isSensitive, byUserId: caller.id,
    });
    return result;
  }

  async remove(caller: AdminCaller, key: string): Promise<void> {
    await this.write(async (em) => {
      const c = await this.configs.findByKeyForUpdate(em, key);
      if (!c) throw AdminErrors.configurationNotFound();
      await this.configs.remove(em, c);
    });
    this.log.log({ msg: 'configuration deleted', key, byUserId: caller.id });
  }

  /**
   * Runs `fn` in a transaction; a unique-key race (two first PUTs of one key) is retried once,
   * when the row exists and the retry updates it. Driver errors lose their message (see ConfigurationWriteError).
   */
  private async write<T>(fn: (em: EntityManager) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await inTransaction(this.orm, fn);
      } catch (err) {
        if (err instanceof UniqueConstraintViolationException && attempt === 1) continue;
        throw withoutDriverMessage(err);
      }
    }
  }
}
