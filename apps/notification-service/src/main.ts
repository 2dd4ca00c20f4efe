import 'reflect-metadata';
import { bootstrapHttpService } from '@tally/service-kit';
import { AppModule } from './app.module';
import { createRuntime } from './runtime';

async function main() {
  const { runtime, sweeper } = await createRuntime();
  await bootstrapHttpService(runtime, AppModule.forRoot(runtime), { port: runtime.config.PORT });
  sweeper.start();
}

main().catch((err) => {
  console.error(JSON.stringify({ level: 'fatal', service: 'notification-service', msg: 'failed to start', err: String(err?.stack ?? err) }));
  process.exit(1);
});
