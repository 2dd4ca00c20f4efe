import Fastify, { FastifyInstance, FastifyReply } from 'fastify';
import pino from 'pino';
import { EventDeclarations, asyncApiDocument } from '@tally/contracts';
import { installDocs } from './docs.routes';
import type { MergedOpenApi } from './openapi-merge';

describe('GET /asyncapi.json', () => {
  let app: FastifyInstance;
  const guarded: string[] = [];

  beforeAll(async () => {
    app = Fastify();
    const merged = { get: async () => ({ openapi: '3.1.0' }) } as unknown as MergedOpenApi;
    installDocs(app, {
      merged,
      logger: pino({ level: 'silent' }),
      // Stands in for the per-address limit of the gateway's own routes; no token involved.
      guard: async (req, _reply: FastifyReply) => void guarded.push(req.url),
    });
    await app.ready();
  });
  afterAll(() => app.close());

  it('serves the AsyncAPI 3 document of the contracts, without a token, behind the same per-address limit as /openapi.json', async () => {
    const res = await app.inject({ method: 'GET', url: '/asyncapi.json' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    const doc = res.json();
    expect(doc).toEqual(asyncApiDocument());
    expect(doc.asyncapi).toBe('3.0.0');
    for (const d of EventDeclarations) expect(doc.components.messages).toHaveProperty([d.type]);
    expect(guarded).toEqual(['/asyncapi.json']);
  });
});
