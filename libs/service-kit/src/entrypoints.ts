import 'reflect-metadata';
import { MessagingConfig, loadConfig } from '@tally/config';
import { createLogger } from '@tally/observability';
import { MigrationEntry, initOrm, runMigrations } from '@tally/persistence';
import { ServiceRuntime } from './runtime';
import { HttpBootstrapOptions, bootstrapHttpService } from './bootstrap';

function fatal(service: string, err: unknown): never {
  const e = err as Error;
  console.error(JSON.stringify({ level: 'fatal', service, time: new Date().toISOString(), msg: 'failed to start', err: String(e?.stack ?? e) }));
  process.exit(1);
}

/** A service's main.ts: build the runtime (config, migrations, Kafka), then serve HTTP (`options`: e.g. `{ rawBody: true }`). */
export function runHttpService<C extends MessagingConfig>(
  name: string,
  createRuntime: () => Promise<ServiceRuntime<C>>,
  appModule: (runtime: ServiceRuntime<C>) => unknown,
  options: Omit<HttpBootstrapOptions, 'port'> = {},
): void {
  (async () => {
    const runtime = await createRuntime();
    await bootstrapHttpService(runtime, appModule(runtime), { ...options, port: runtime.config.PORT });
  })().catch((err) => fatal(name, err));
}

/** A service's migrate.ts (`node dist/apps/<app>/src/migrate.js`): apply pending migrations and exit. */
export function runMigrationCommand(name: string, configClass: new () => MessagingConfig, entities: Function[], migrations: MigrationEntry[]): void {
  (async () => {
    const config = loadConfig(configClass);
    const log = createLogger(name, config.LOG_LEVEL);
    const orm = await initOrm({ databaseUrl: config.DATABASE_URL, entities, migrations });
    try {
      await runMigrations(orm, (m) => log.info(m));
    } finally {
      await orm.close(true);
    }
  })().catch((err) => fatal(name, err));
}
