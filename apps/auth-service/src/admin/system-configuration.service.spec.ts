import { Logger } from '@nestjs/common';
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { AdminException, AdminExceptionCode } from './admin.exceptions';
import { SystemConfiguration } from './system-configuration.entity';
import { SystemConfigurationRepository } from './system-configuration.repository';
import { SystemConfigurationService } from './system-configuration.service';

const caller = { id: '00000000-0000-4000-8000-000000000001', level: 'admin' as const };
const SECRET = 'sk_live_51HsecretSECRETsecret';

function setup() {
  const table = new Map<string, SystemConfiguration>();
  const em = { transactional: <T>(fn: (em: EntityManager) => Promise<T>) => fn(em) } as unknown as EntityManager;
  const orm = { em: { fork: () => em } } as unknown as MikroORM;
  const repo = {
    findByKey: async (_em: EntityManager, k: string) => table.get(k) ?? null,
    findByKeyForUpdate: async (_em: EntityManager, k: string) => table.get(k) ?? null,
    insert: async (_em: EntityManager, c: SystemConfiguration) => void table.set(c.key, c),
    flush: async () => undefined,
    remove: async (_em: EntityManager, c: SystemConfiguration) => void table.delete(c.key),
    list: async () => [[...table.values()], table.size],
  } as unknown as SystemConfigurationRepository;
  return { service: new SystemConfigurationService(orm, repo), table };
}

beforeAll(() => Logger.overrideLogger(false));

describe('SystemConfigurationService', () => {
  it('creates, then replaces, telling which', async () => {
    const { service, table } = setup();
    const a = await service.put(caller, 'groups.max_members', { value: '50', dataType: 'integer', description: 'Cap' });
    expect(a).toMatchObject({ created: true, configuration: { key: 'groups.max_members', value: '50', dataType: 'integer', description: 'Cap', isSensitive: false } });
    const b = await service.put(caller, 'groups.max_members', { value: '60', dataType: 'integer' });
    expect(b).toMatchObject({ created: false, configuration: { value: '60', description: 'Cap', id: a.configuration.id } });
    expect(table.size).toBe(1);
  });

  it('never returns a sensitive value: not from PUT, GET or the list', async () => {
    const { service } = setup();
    const put = await service.put(caller, 'payments.provider_api_key', { value: SECRET, dataType: 'string', isSensitive: true });
    expect(put.configuration).toMatchObject({ value: null, valueSet: true, isSensitive: true });
    const all = JSON.stringify([put, await service.get('payments.provider_api_key'), await service.list(20, 0)]);
    expect(all).not.toContain(SECRET);
  });

  it('keeps a key sensitive when an update leaves isSensitive out', async () => {
    const { service, table } = setup();
    await service.put(caller, 'smtp.password', { value: 'first-secret', dataType: 'string', isSensitive: true });
    const again = await service.put(caller, 'smtp.password', { value: SECRET, dataType: 'string' });
    expect(again.configuration).toMatchObject({ value: null, isSensitive: true });
    expect(JSON.stringify(again)).not.toContain(SECRET);
    expect(table.get('smtp.password')!.value).toBe(SECRET);
  });

  it('refuses a value that does not read as its type, without quoting it, and stores nothing', async () => {
    const { service, table } = setup();
    await service.put(caller, 'limits.rate', { value: '1.50', dataType: 'decimal' });
    for (const [dataType, value] of [['integer', '12.5'], ['decimal', '1e3'], ['boolean', 'yes'], ['json', '{bad'], ['integer', SECRET]] as const) {
      let err: unknown;
      try {
        await service.put(caller, 'limits.rate', { value, dataType, isSensitive: true });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(AdminException);
      expect((err as AdminException).code).toBe(AdminExceptionCode.InvalidConfigurationValue);
      expect((err as AdminException).status).toBe(400);
      expect(JSON.stringify({ m: (err as Error).message, x: (err as AdminException).extra })).not.toContain(value);
    }
    expect(table.get('limits.rate')).toMatchObject({ value: '1.50', dataType: 'decimal', isSensitive: false });
  });

  it('deletes, and 404s an unknown key', async () => {
    const { service, table } = setup();
    await service.put(caller, 'a.b', { value: 'x', dataType: 'string' });
    await service.remove(caller, 'a.b');
    expect(table.size).toBe(0);
    await expect(service.remove(caller, 'a.b')).rejects.toMatchObject({ code: AdminExceptionCode.ConfigurationNotFound, status: 404 });
    await expect(service.get('a.b')).rejects.toMatchObject({ code: AdminExceptionCode.ConfigurationNotFound, status: 404 });
  });
});
