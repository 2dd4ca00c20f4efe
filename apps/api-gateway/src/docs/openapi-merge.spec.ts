import pino from 'pino';
import { DocSource, MergedOpenApi, docSources, mergeDocuments } from './openapi-merge';

const auth: DocSource = { service: 'auth-service', baseUrl: 'http://auth', prefixes: ['/api/v1/auth', '/api/v1/users', '/.well-known'] };
const groups: DocSource = { service: 'group-service', baseUrl: 'http://group', prefixes: ['/api/v1/groups'] };

const problemRef = { $ref: '#/components/schemas/ProblemDetails' };
function serviceDoc(paths: Record<string, unknown>, schemas: Record<string, unknown> = {}) {
  return {
    openapi: '3.1.0',
    info: { title: 'x', version: '1' },
    paths,
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } }, schemas },
  };
}

describe('mergeDocuments', () => {
  const authDoc = serviceDoc(
    {
      '/api/v1/auth/login': { post: { operationId: 'AuthController_login', security: [], requestBody: { content: { 'application/json': { schema: { $ref: '#/components/schemas/LoginDto' } } } }, responses: { '200': { description: '' } } } },
      '/api/v1/users/me': { get: { operationId: 'AuthController_me', security: [{ bearer: [] }], responses: { '200': { description: '' } } } },
      '/internal/thing': { get: { responses: { '200': { description: '' } } } },
    },
    { LoginDto: { type: 'object', properties: { login: { type: 'string' } } }, Shared: { type: 'string' } },
  );
  const groupDoc = serviceDoc(
    { '/api/v1/groups/{id}': { get: { operationId: 'GroupController_get', parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }], responses: { '200': { content: { 'application/json': { schema: { $ref: '#/components/schemas/LoginDto' } } }, description: '' } } } } },
    { LoginDto: { type: 'object', properties: { other: { type: 'integer' } } }, Shared: { type: 'string' } },
  );

  it('merges the routed paths of every service with the gateway responses and the bearer scheme', () => {
    const doc = mergeDocuments([{ source: auth, doc: authDoc }, { source: groups, doc: groupDoc }]);
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.servers).toEqual([{ url: '/' }]);
    expect(doc.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
    expect(Object.keys(doc.paths)).toEqual(['/api/v1/auth/login', '/api/v1/groups/{id}', '/api/v1/users/me']);
    const login = doc.paths['/api/v1/auth/login'].post;
    expect(login.security).toEqual([]);
    expect(login.responses['401']).toBeUndefined();
    expect(login.responses).toMatchObject({ '413': {}, '429': { $ref: '#/components/responses/TooManyRequests' }, '503': {}, '504': {} });
    expect(login.tags).toEqual(['auth']);
    expect(login['x-tally-service']).toBe('auth-service');
    const me = doc.paths['/api/v1/users/me'].get;
    expect(me.responses['401']).toEqual({ $ref: '#/components/responses/Unauthorized' });
    expect(me.responses['413']).toBeUndefined();
    expect(doc.components.responses.TooManyRequests.headers).toHaveProperty('Retry-After');
    expect(doc.components.responses.TooManyRequests.content['application/problem+json'].schema).toEqual(problemRef);
    expect(doc['x-tally-services']).toEqual({ 'auth-service': { status: 'ok', operations: 2 }, 'group-service': { status: 'ok', operations: 1 } });
    expect(doc['x-tally-warnings']).toEqual(['auth-service: /internal/thing is not routed by the gateway; left out']);
  });

  it('renames a component two services define differently, and its references', () => {
    const doc = mergeDocuments([{ source: auth, doc: authDoc }, { source: groups, doc: groupDoc }]);
    expect(doc.components.schemas.LoginDto.properties).toHaveProperty('login');
    expect(doc.components.schemas.group_LoginDto.properties).toHaveProperty('other');
    expect(doc.paths['/api/v1/groups/{id}'].get.responses['200'].content['application/json'].schema.$ref).toBe('#/components/schemas/group_LoginDto');
    expect(doc.paths['/api/v1/auth/login'].post.requestBody.content['application/json'].schema.$ref).toBe('#/components/schemas/LoginDto');
    // identical definitions are shared
    expect(doc.components.schemas.group_Shared).toBeUndefined();
  });

  it('leaves out a service it could not read, and says so', () => {
    const doc = mergeDocuments([{ source: auth, doc: authDoc }, { source: groups, error: 'no answer within 2000 ms' }, { source: { ...groups, service: 'x-service' }, doc: { hello: 1 } }]);
    expect(Object.keys(doc.paths).some((p) => p.startsWith('/api/v1/groups'))).toBe(false);
    expect(doc['x-tally-services']['group-service']).toEqual({ status: 'unavailable', error: 'no answer within 2000 ms' });
    expect(doc['x-tally-warnings']).toContain('group-service: left out (no answer within 2000 ms)');
    expect(doc['x-tally-warnings']).toContain('x-service: left out (not an OpenAPI document)');
    expect(doc.info.description).toContain('group-service: left out');
  });
});

describe('MergedOpenApi', () => {
  it('fetches each service once per TTL, with one fetch for concurrent requests, and never throws', async () => {
    const calls: string[] = [];
    const fetchImpl = (async (url: string) => {
      calls.push(url);
      await new Promise((r) => setTimeout(r, 20));
      if (url.startsWith('http://group')) throw new Error('connect ECONNREFUSED');
      return new Response(JSON.stringify(serviceDoc({ '/api/v1/users/me': { get: { responses: {} } } })), { status: 200 });
    }) as unknown as typeof fetch;
    const merged = new MergedOpenApi({ sources: [auth, groups], ttlMs: 60_000, degradedTtlMs: 60_000, timeoutMs: 500, logger: pino({ level: 'silent' }), fetchImpl });
    const [a, b] = await Promise.all([merged.get(), merged.get()]);
    expect(a).toBe(b);
    await merged.get();
    expect(calls).toEqual(['http://auth/openapi.json', 'http://group/openapi.json']);
    expect(a['x-tally-services']['group-service'].status).toBe('unavailable');
    expect(Object.keys(a.paths)).toEqual(['/api/v1/users/me']);
  });

  it('groups the route table by service', () => {
    expect(docSources([
      { service: 'auth-service', upstream: 'http://a/', prefix: '/api/v1/auth' },
      { service: 'auth-service', upstream: 'http://a/', prefix: '/api/v1/users' },
      { service: 'group-service', upstream: 'http://g', prefix: '/api/v1/groups' },
    ])).toEqual([
      { service: 'auth-service', baseUrl: 'http://a', prefixes: ['/api/v1/auth', '/api/v1/users'] },
      { service: 'group-service', baseUrl: 'http://g', prefixes: ['/api/v1/groups'] },
    ]);
  });
});
