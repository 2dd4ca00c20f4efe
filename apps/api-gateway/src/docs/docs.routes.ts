import fs from 'node:fs';
import path from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { asyncApiDocument } from '@tally/contracts';
import { MergedOpenApi } from './openapi-merge';

type Guard = (req: FastifyRequest, reply: FastifyReply) => Promise<unknown>;

/**
 * Swagger UI's files come from `swagger-ui-dist`, the package @nestjs/swagger itself depends on
 * and serves them from, so /docs needs no dependency of its own. Resolved from @nestjs/swagger's
 * folder so it is found wherever npm placed it.
 */
function swaggerUiDir(): string | undefined {
  try {
    const from = path.dirname(require.resolve('@nestjs/swagger/package.json'));
    return path.dirname(require.resolve('swagger-ui-dist/package.json', { paths: [from] }));
  } catch {
    return undefined;
  }
}

const ASSETS: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'application/javascript; charset=utf-8',
  'swagger-ui-standalone-preset.js': 'application/javascript; charset=utf-8',
  'favicon-32x32.png': 'image/png',
  'favicon-16x16.png': 'image/png',
};

const HTML = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Tally API</title>
  <link rel="stylesheet" href="/docs/swagger-ui.css">
  <link rel="icon" type="image/png" href="/docs/favicon-32x32.png" sizes="32x32">
  <link rel="icon" type="image/png" href="/docs/favicon-16x16.png" sizes="16x16">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/swagger-ui-bundle.js"></script>
  <script src="/docs/swagger-ui-standalone-preset.js"></script>
  <script src="/docs/swagger-initializer.js"></script>
</body>
</html>
`;

const INITIALIZER = `window.onload = function () {
  window.ui = SwaggerUIBundle({
    url: '/openapi.json',
    dom_id: '#swagger-ui',
    deepLinking: true,
    validatorUrl: null,
    persistAuthorization: false,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    plugins: [SwaggerUIBundle.plugins.DownloadUrl],
    layout: 'StandaloneLayout'
  });
};
`;

/** Only this origin's scripts and styles (Swagger UI sets inline styles); nothing framed. */
const DOCS_CSP = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; connect-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/**
 * GET /openapi.json (the merged document), GET /docs (Swagger UI on it) and GET /asyncapi.json (the
 * AsyncAPI 3 document of every Kafka topic, generated from the contracts). Public, like the API's docs.
 */
export function installDocs(fastify: FastifyInstance, deps: { merged: MergedOpenApi; logger: Logger; guard?: Guard }): void {
  const dir = swaggerUiDir();
  if (!dir) deps.logger.warn('swagger-ui-dist not found: /docs will answer 503');
  const cache = new Map<string, Buffer>();
  const preHandler = deps.guard ? [deps.guard] : [];

  fastify.get('/openapi.json', { preHandler }, async (_req, reply) => {
    const doc = await deps.merged.get();
    return reply.header('cache-control', 'no-cache').type('application/json; charset=utf-8').send(doc);
  });

  // The contracts are compiled in: the document is the same for the life of the process.
  const asyncApi = JSON.stringify(asyncApiDocument());
  fastify.get('/asyncapi.json', { preHandler }, async (_req, reply) =>
    reply.header('cache-control', 'no-cache').type('application/json; charset=utf-8').send(asyncApi),
  );

  const page = async (_req: FastifyRequest, reply: FastifyReply) => {
    if (!dir) return reply.status(503).type('text/plain').send('API documentation UI is not installed (swagger-ui-dist).');
    return reply.header('content-security-policy', DOCS_CSP).header('cache-control', 'no-cache').type('text/html; charset=utf-8').send(HTML);
  };
  fastify.get('/docs', { preHandler }, page);
  fastify.get('/docs/', { preHandler }, page);
  fastify.get('/docs/swagger-initializer.js', async (_req, reply) =>
    reply.header('cache-control', 'no-cache').type('application/javascript; charset=utf-8').send(INITIALIZER),
  );
  fastify.get<{ Params: { file: string } }>('/docs/:file', async (req, reply) => {
    const type = ASSETS[req.params.file];
    if (!type || !dir) return reply.callNotFound();
    let body = cache.get(req.params.file);
    if (!body) {
      body = await fs.promises.readFile(path.join(dir, req.params.file));
      cache.set(req.params.file, body);
    }
    return reply.header('cache-control', 'public, max-age=3600').type(type).send(body);
  });
}
