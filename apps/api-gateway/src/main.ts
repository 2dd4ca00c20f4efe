import { BlockList, isIPv4 } from 'node:net';
import 'reflect-metadata';
import { once } from 'node:events';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyInstance } from 'fastify';
import Redis from 'ioredis';
import { loadConfig } from '@tally/config';
import { HealthCheck, Metrics, PinoNestLogger, createLogger } from '@tally/observability';
import { ProblemDetailsFilter, frameworkErrorsAsProblems, installOperationalRoutes } from '@tally/service-kit';
import { AppModule } from './app.module';
import { GatewayConfig, rateLimitPrefix, trustProxyOption } from './config/gateway.config';
import { MergedOpenApi, docSources } from './docs/openapi-merge';
import { installDocs } from './docs/docs.routes';
import { installEmailLinkPages } from './pages/email-links';
import { installInvitationPage } from './pages/invitation-page';
import { createAnonymousLimit, installEdgeHeaders, installProxy } from './proxy/proxy';
import { routeTable } from './proxy/routes';
import { POLICY_SETTINGS, resolvePolicies } from './rate-limit/policies';
import { RateLimitMetrics, RateLimiter } from './rate-limit/rate-limiter';

const PRIVATE = new BlockList();
for (const [net, bits] of [['10.0.0.0', 8], ['172.16.0.0', 12], ['192.168.0.0', 16], ['127.0.0.0', 8], ['169.254.0.0', 16]] as const) PRIVATE.addSubnet(net, bits, 'ipv4');
PRIVATE.addSubnet('fc00::', 7, 'ipv6');
PRIVATE.addAddress('::1', 'ipv6');

/** Loopback and private networks: where Prometheus scrapes from, never a client through the ingress. */
function privateAddress(ip: string): boolean {
  const v4 = ip.startsWith('::ffff:') ? ip.slice(7) : ip;
  return isIPv4(v4) ? PRIVATE.check(v4, 'ipv4') : PRIVATE.check(ip, 'ipv6');
}

async function main() {
  const config = loadConfig(GatewayConfig);
  const logger = createLogger('api-gateway', config.LOG_LEVEL);
  const metrics = new Metrics('api-gateway');
  const healthChecks: HealthCheck[] = [];

  const settings = Object.fromEntries(Object.values(POLICY_SETTINGS).map((k) => [k, config[k]]));
  const policies = resolvePolicies(settings);

  let redis: Redis | undefined;
  if (config.REDIS_URL) {
    redis = new Redis(config.REDIS_URL, {
      // Never queue a rate-limit check behind a reconnect: fail fast, decide without Redis.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      connectTimeout: 2000,
      commandTimeout: 2000,
      retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
    });
    redis.on('error', (err) => logger.warn({ err: err.message }, 'redis error'));
    healthChecks.push({ name: 'redis', critical: false, check: async () => void (await redis!.ping()) });
    // Give the first requests a connected Redis, but never wait long: without it limits still apply.
    await Promise.race([once(redis, 'ready'), new Promise((r) => setTimeout(r, 2000).unref())]).catch(() => undefined);
  } else {
    logger.warn('REDIS_URL not set: rate limits are kept in this process only');
  }
  const limiter = config.RATE_LIMIT_ENABLED
    ? new RateLimiter({
      redis, prefix: rateLimitPrefix(config), timeoutMs: config.RATE_LIMIT_REDIS_TIMEOUT_MS, logger: logger.child({ component: 'rate-limit' }), metrics: new RateLimitMetrics(metrics.registry),
      batchMax: config.RATE_LIMIT_BATCH_MAX, leaseMs: config.RATE_LIMIT_BATCH_LEASE_MS,
    })
    : undefined;
  if (!limiter) logger.warn('RATE_LIMIT_ENABLED=false: no rate limits');

  let shuttingDown = false;
  const adapter = new FastifyAdapter({ bodyLimit: config.BODY_LIMIT_BYTES, trustProxy: trustProxyOption(config.TRUST_PROXY), logger: false, frameworkErrors: frameworkErrorsAsProblems });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule, adapter, { logger: new PinoNestLogger(logger.child({ component: 'nest' })) });
  const fastify = app.getHttpAdapter().getInstance() as unknown as FastifyInstance;
  installOperationalRoutes(fastify, { metrics, healthChecks, get isShuttingDown() { return shuttingDown; } }, { metricsAllowed: privateAddress });
  await installEdgeHeaders(fastify, config);
  const edge = { config, logger, limiter, policies };
  const merged = new MergedOpenApi({
    sources: docSources(routeTable(config)),
    ttlMs: config.OPENAPI_CACHE_TTL_MS,
    timeoutMs: config.OPENAPI_FETCH_TIMEOUT_MS,
    logger: logger.child({ component: 'openapi' }),
    policies,
  });
  installDocs(fastify, { merged, logger, guard: createAnonymousLimit(edge) });
  installEmailLinkPages(fastify, edge);
  installInvitationPage(fastify, edge);
  await installProxy(fastify, edge);
  app.useGlobalFilters(new ProblemDetailsFilter());
  await app.listen(config.PORT, '0.0.0.0');
  logger.info({ port: config.PORT, rateLimitPrefix: rateLimitPrefix(config), trustProxy: config.TRUST_PROXY }, `api-gateway listening on http://127.0.0.1:${config.PORT}`);

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
