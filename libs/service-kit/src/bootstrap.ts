import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyInstance } from 'fastify';
import { PinoNestLogger, newTraceparent, childTraceparent, runHealthChecks, runWithContext, sanitizeCorrelationId } from '@tally/observability';
import { RethrowEventErrors } from '@tally/messaging';
import { ServiceRuntime } from './runtime';
import { ProblemDetailsFilter, frameworkErrorsAsProblems } from './problem';
import { createValidationPipe, installTextGuard } from './validation';
import { installOpenApi } from './openapi';

export interface HttpBootstrapOptions {
  port: number;
  host?: string;
  /** Largest accepted request body, bytes. */
  bodyLimit?: number;
  /** Hook to add routes or plugins on the raw Fastify instance before Nest starts. */
  configure?: (fastify: FastifyInstance) => void | Promise<void>;
  /**
   * Keep each JSON (and form) body's exact bytes as `req.rawBody` besides the parsed body, for routes
   * that verify a signature over them (payment-service's provider webhooks). Off unless a service opts in.
   */
  rawBody?: boolean;
}

/** Adds request ids, metrics and the health and metrics routes to a Fastify instance. */
export function installOperationalRoutes(
  fastify: FastifyInstance,
  runtime: Pick<ServiceRuntime, 'metrics' | 'healthChecks' | 'isShuttingDown'>,
  opts: { metricsAllowed?: (ip: string) => boolean } = {},
): void {
  fastify.addHook('onRequest', (req, reply, done) => {
    const correlationId = sanitizeCorrelationId(req.headers['x-request-id'] ?? req.headers['x-correlation-id']);
    const traceparent = typeof req.headers.traceparent === 'string' ? childTraceparent(req.headers.traceparent) : newTraceparent();
    void reply.header('x-request-id', correlationId);
    const ua = req.headers['user-agent'];
    runWithContext({ correlationId, traceparent, ip: req.ip, userAgent: typeof ua === 'string' ? ua.slice(0, 300) : undefined }, done);
  });
  fastify.addHook('onResponse', (req, reply, done) => {
    const route = req.routeOptions?.url ?? 'unmatched';
    runtime.metrics.httpDuration.observe({ method: req.method, route, status: String(reply.statusCode) }, reply.elapsedTime / 1000);
    done();
  });
  fastify.get('/health/live', async () => ({ status: 'ok' }));
  fastify.get('/health/ready', async (_req, reply) => {
    if (runtime.isShuttingDown) return reply.status(503).send({ status: 'shutting_down', checks: {} });
    const report = await runHealthChecks(runtime.healthChecks);
    return reply.status(report.status === 'down' ? 503 : 200).send(report);
  });
  fastify.get('/metrics', async (req, reply) => {
    // On a public edge, metrics are for the cluster's scrapers only.
    if (opts.metricsAllowed && !opts.metricsAllowed(req.ip)) return reply.status(404).header('content-type', 'application/problem+json').send({ type: 'about:blank', title: 'Not Found', status: 404 });
    void reply.header('content-type', runtime.metrics.registry.contentType);
    return runtime.metrics.registry.metrics();
  });
}

/** Installs SIGTERM/SIGINT handling: stop taking requests, finish in-flight ones, then close the runtime. */
export function installShutdown(name: string, runtime: ServiceRuntime<any>, closeServer: () => Promise<void>): void {
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    runtime.logger.info({ signal }, `${name} shutting down`);
    const timer = setTimeout(() => {
      runtime.logger.error('shutdown timed out; exiting');
      process.exit(1);
    }, runtime.config.SHUTDOWN_TIMEOUT_MS);
    timer.unref();
    try {
      await closeServer();
    } catch (err) {
      runtime.logger.warn({ err: (err as Error).message }, 'closing the server failed');
    }
    await runtime.shutdown();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

/** Starts a service's HTTP API on Fastify with the shared behaviour every Tally service has. */
export async function bootstrapHttpService(runtime: ServiceRuntime<any>, appModule: unknown, opts: HttpBootstrapOptions): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({ bodyLimit: opts.bodyLimit ?? 256 * 1024, trustProxy: true, logger: false, frameworkErrors: frameworkErrorsAsProblems });
  const app = await NestFactory.create<NestFastifyApplication>(appModule as never, adapter, {
    logger: new PinoNestLogger(runtime.logger.child({ component: 'nest' })),
    rawBody: opts.rawBody === true,
  });
  const fastify = app.getHttpAdapter().getInstance() as unknown as FastifyInstance;
  installOperationalRoutes(fastify, runtime);
  installTextGuard(fastify);
  await opts.configure?.(fastify);
  installOpenApi(app, fastify, { title: runtime.name, logger: runtime.logger });
  app.useGlobalFilters(new ProblemDetailsFilter());
  app.useGlobalPipes(createValidationPipe());
  // Event handlers: the modules' @EventPattern methods, served by the inbox transport; their errors reach the
  // consumer unchanged (retries, dead letters), not as Nest's generic "Internal server error".
  const events = app.connectMicroservice({ strategy: runtime.transport }, { inheritAppConfig: false });
  events.useGlobalFilters(new RethrowEventErrors());
  await app.init();
  runtime.startMessaging();
  await app.startAllMicroservices();
  await app.listen(opts.port, opts.host ?? '0.0.0.0');
  runtime.logger.info({ port: opts.port }, `${runtime.name} listening`);
  installShutdown(runtime.name, runtime, () => app.close());
  return app;
}
