import 'reflect-metadata';
import { bootstrapHttpService } from '@tally/service-kit';
import { AppModule } from './app.module';
import { SERVICE_NAME, createRuntime } from './runtime';

async function main() {
  const nr = await createRuntime();
  await bootstrapHttpService(nr.runtime, AppModule.forRoot(nr), { port: nr.runtime.config.PORT });
  nr.sweeper.start();
  nr.deliverySweeper.start();
}

main().catch((err) => {
  console.error(JSON.stringify({ level: 'fatal', service: SERVICE_NAME, msg: 'failed to start', err: String(err?.stack ?? err) }));
  process.exit(1);
});
