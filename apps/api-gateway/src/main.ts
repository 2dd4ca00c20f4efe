import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyInstance } from 'fastify';
import Redis from 'ioredis';
import { loadConfig } from '@tally/config';
import { HealthCheck, Metrics, PinoNestLogger, createLogger } from '@tally/observability';
import { ProblemDetailsFilter, installOperationalRoutes } from '@tally/service-kit';
import { AppModule } from './app.module';
import { GatewayConfig } from './config/gateway.config';
import { installProxy } from './proxy/proxy';

async function main() {
  const config = loadConfig(GatewayConfig);
  const logger = createLogger('api-gateway', config.LOG_LEVEL);
  const metrics = new Metrics('api-gateway');
  const healthChecks: HealthCheck[] = [];
  let redis: Redis | undefined;
  if (config.REDIS_URL) {
    redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: 1 });
    redis.on('error', (err) => logger.warn({ err: err.message }, 'redis error'));
    healthChecks.push({ name: 'redis', critical: false, check: async () => void (await redis!.ping()) });
  }
  let shuttingDown = false;
  const adapter = new FastifyAdapter({ bodyLimit: config.BODY_LIMIT_BYTES, trustProxy: true, logger: false });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule, adapter, { logger: new PinoNestLogger(logger.child({ component: 'nest' })) });
  const fastify = app.getHttpAdapter().getInstance() as unknown as FastifyInstance;
  installOperationalRoutes(fastify, { metrics, healthChecks, get isShuttingDown() { return shuttingDown; } });
  await installProxy(fastify, config, logger);
  app.useGlobalFilters(new ProblemDetailsFilter());
  await app.listen(config.PORT, '0.0.0.0');
  logger.info({ port: config.PORT }, `api-gateway listening on http://127.0.0.1:${config.PORT}`);

  const stop = async (signal: string) => {
    if (shuttingDown) return;
    shuttingDown = true;
    logger.info({ signal }, 'api-gateway shutting down');
    setTimeout(() => process.exit(1), config.SHUTDOWN_TIMEOUT_MS).unref();
    await app.close().catch(() => undefined);
    await redis?.quit().catch(() => undefined);
    logger.info('shutdown complete');
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

main().catch((err) => {
  console.error(JSON.stringify({ level: 'fatal', service: 'api-gateway', msg: 'failed to start', err: String(err?.stack ?? err) }));
  process.exit(1);
});
