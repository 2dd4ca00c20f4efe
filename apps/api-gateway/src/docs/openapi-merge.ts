import type { Logger } from 'pino';
import { PROBLEM_DETAILS_SCHEMA, problemResponse } from '@tally/service-kit';
import { UpstreamRoute } from '../proxy/routes';
import { RatePolicies } from '../rate-limit/policies';

/** OpenAPI documents are walked as plain JSON. */
type Json = any;

/** Where one service's document comes from, and which of its paths the gateway routes to it. */
export interface DocSource {
  service: string;
  baseUrl: string;
  prefixes: string[];
}

export interface FetchedDoc {
  source: DocSource;
  doc?: Json;
  error?: string;
}

export function docSources(routes: UpstreamRoute[]): DocSource[] {
  const byService = new Map<string, DocSource>();
  for (const r of routes) {
    const s = byService.get(r.service) ?? { service: r.service, baseUrl: r.upstream.replace(/\/$/, ''), prefixes: [] };
    s.prefixes.push(r.prefix);
    byService.set(r.service, s);
  }
  return [...byService.values()];
}

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];
const COMPONENT_NAME = /^[a-zA-Z0-9._-]+$/;

function stableStringify(v: Json): string {
  if (Array.isArray(v)) return `[${v.map(stableStringify).join(',')}]`;
  if (v && typeof v === 'object') return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${stableStringify(v[k])}`).join(',')}}`;
  return JSON.stringify(v);
}

function rewriteRefs(node: Json, renames: Map<string, string>): Json {
  if (Array.isArray(node)) return node.map((n) => rewriteRefs(n, renames));
  if (node && typeof node === 'object') {
    const out: Json = {};
    for (const [k, v] of Object.entries(node)) out[k] = k === '$ref' && typeof v === 'string' && renames.has(v) ? renames.get(v) : rewriteRefs(v, renames);
    return out;
  }
  return node;
}

const shortName = (service: string) => service.replace(/-service$/, '');

/** What the gateway itself may answer on any route. */
function gatewayComponents(): Json {
  const intHeader = (description: string) => ({ description, schema: { type: 'integer', minimum: 0 } });
  const rateHeaders = {
    'RateLimit-Limit': { $ref: '#/components/headers/RateLimit-Limit' },
    'RateLimit-Remaining': { $ref: '#/components/headers/RateLimit-Remaining' },
    'RateLimit-Reset': { $ref: '#/components/headers/RateLimit-Reset' },
    'RateLimit-Policy': { $ref: '#/components/headers/RateLimit-Policy' },
  };
  return {
    securitySchemes: {
      bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'An access token from POST /api/v1/auth/login (ES256, short-lived).' },
    },
    schemas: { ProblemDetails: PROBLEM_DETAILS_SCHEMA },
    headers: {
      'Retry-After': intHeader('Seconds until a request can succeed.'),
      'RateLimit-Limit': intHeader('Quota of the policy closest to running out (draft-ietf-httpapi-ratelimit-headers).'),
      'RateLimit-Remaining': intHeader('Requests left in that quota right now.'),
      'RateLimit-Reset': intHeader('Seconds until that quota is full again.'),
      'RateLimit-Policy': { description: 'Every policy applied to the request: `<limit>;w=<window seconds>;comment="<name>"`, the binding one first.', schema: { type: 'string' } },
    },
    responses: {
      Unauthorized: problemResponse('No valid bearer access token.'),
      TooManyRequests: problemResponse('Over a rate limit; retry after Retry-After seconds.', { 'Retry-After': { $ref: '#/components/headers/Retry-After' }, ...rateHeaders }),
      PayloadTooLarge: problemResponse('The body is larger than the gateway accepts.'),
      ServiceUnavailable: problemResponse('The owning service is unavailable, or signing keys cannot be fetched.'),
      GatewayTimeout: problemResponse('The owning service did not answer in time.'),
    },
  };
}

function describePolicies(p: RatePolicies): string {
  const f = (x: { limit: number; windowMs: number }) => `${x.limit} per ${x.windowMs % 60_000 === 0 ? `${x.windowMs / 60_000} min` : `${x.windowMs / 1000} s`}`;
  return [
    'Rate limits (429 with Retry-After and RateLimit-* headers past them):',
    `- POST /api/v1/auth/login: ${f(p.loginIp)} per client IP, ${f(p.loginAccount)} per account (the login, email or username in the body)`,
    `- POST /api/v1/auth/register: ${f(p.registerIp)} per client IP`,
    `- POST /api/v1/auth/password/forgot, /password/reset, /verify-email/resend: ${f(p.recoveryIp)} per client IP, ${f(p.recoveryAccount)} per account`,
    `- everything else: ${f(p.user)} per user with a valid token, ${f(p.anonymousIp)} per client IP without one`,
  ].join('\n');
}

/**
 * One document for the public API: every service's paths that the gateway routes to it, their
 * components (a name two services use for different things gets the service's prefix), the
 * bearer scheme, and the responses the gateway adds (401, 413, 429, 503, 504). A service that
 * could not be read is left out, and said so in info.description and `x-tally-warnings`.
 */
export function mergeDocuments(fetched: FetchedDoc[], policies?: RatePolicies): Json {
  const warnings: string[] = [];
  const services: Record<string, Json> = {};
  const merged: Json = {
    openapi: '3.1.0',
    info: { title: 'Tally API', version: '1', description: '' },
    servers: [{ url: '/' }],
    security: [{ bearer: [] }],
    tags: [] as Json[],
    paths: {} as Json,
    components: gatewayComponents(),
  };
  const tags = new Set<string>();

  for (const { source, doc, error } of fetched) {
    const svc = shortName(source.service);
    if (error || !doc || typeof doc !== 'object' || typeof doc.paths !== 'object' || doc.paths === null) {
      const why = error ?? 'not an OpenAPI document';
      warnings.push(`${source.service}: left out (${why})`);
      services[source.service] = { status: 'unavailable', error: why };
      continue;
    }
    if (typeof doc.openapi !== 'string' || !doc.openapi.startsWith('3.1')) warnings.push(`${source.service}: document is OpenAPI ${doc.openapi}, merged as 3.1`);

    // Components: same name and same content is shared; a clash is renamed for this service.
    const renames = new Map<string, string>();
    const components = (doc.components ?? {}) as Record<string, Record<string, Json>>;
    for (const [kind, entries] of Object.entries(components)) {
      if (!entries || typeof entries !== 'object') continue;
      for (const [name, value] of Object.entries(entries)) {
        if (kind === 'securitySchemes' && value?.type === 'http' && value?.scheme === 'bearer') {
          if (name !== 'bearer') renames.set(`#/components/${kind}/${name}`, 'bearer');
          continue;
        }
        const existing = merged.components[kind]?.[name];
        if (existing !== undefined && stableStringify(existing) !== stableStringify(value)) {
          const renamed = `${svc}_${name}`;
          renames.set(`#/components/${kind}/${name}`, `#/components/${kind}/${COMPONENT_NAME.test(renamed) ? renamed : `${svc}_${name.replace(/[^a-zA-Z0-9._-]/g, '_')}`}`);
        }
      }
    }
    const securityRenames = new Map([...renames].filter(([from]) => from.startsWith('#/components/securitySchemes/')).map(([from, to]) => [from.split('/').pop()!, to]));
    const fixed = rewriteRefs(doc, renames);
    for (const [kind, entries] of Object.entries((fixed.components ?? {}) as Record<string, Record<string, Json>>)) {
      if (!entries || typeof entries !== 'object') continue;
      merged.components[kind] ??= {};
      for (const [name, value] of Object.entries(entries)) {
        if (kind === 'securitySchemes' && value?.type === 'http' && value?.scheme === 'bearer') continue;
        const target = renames.get(`#/components/${kind}/${name}`)?.split('/').pop() ?? name;
        merged.components[kind][target] ??= value;
      }
    }

    let count = 0;
    const rootSecurity = fixed.security;
    for (const [path, item] of Object.entries(fixed.paths as Record<string, Json>)) {
      const routed = source.prefixes.some((p) => path === p || path.startsWith(`${p}/`));
      if (!routed) {
        warnings.push(`${source.service}: ${path} is not routed by the gateway; left out`);
        continue;
      }
      const target = (merged.paths[path] ??= {});
      for (const [key, value] of Object.entries(item)) {
        if (!HTTP_METHODS.includes(key)) {
          target[key] ??= value;
          continue;
        }
        if (target[key]) {
          warnings.push(`${source.service}: ${key.toUpperCase()} ${path} is also defined by ${target[key]['x-tally-service']}; kept that one`);
          continue;
        }
        const op = { ...(value as Json), 'x-tally-service': source.service };
        op.security = (op.security ?? rootSecurity ?? [{ bearer: [] }]).map((req: Json) =>
          Object.fromEntries(Object.entries(req).map(([name, scopes]) => [securityRenames.get(name)?.split('/').pop() ?? name, scopes])),
        );
        if (!Array.isArray(op.tags) || op.tags.length === 0) op.tags = [svc];
        for (const t of op.tags) tags.add(t);
        op.responses = { ...(op.responses ?? {}) };
        if (op.security.length > 0) op.responses['401'] ??= { $ref: '#/components/responses/Unauthorized' };
        if (op.requestBody) op.responses['413'] ??= { $ref: '#/components/responses/PayloadTooLarge' };
        op.responses['429'] ??= { $ref: '#/components/responses/TooManyRequests' };
        op.responses['503'] ??= { $ref: '#/components/responses/ServiceUnavailable' };
        op.responses['504'] ??= { $ref: '#/components/responses/GatewayTimeout' };
        target[key] = op;
        count++;
      }
      if (!Object.keys(target).some((k) => HTTP_METHODS.includes(k))) delete merged.paths[path];
    }
    services[source.service] = { status: 'ok', operations: count };
  }

  merged.paths = Object.fromEntries(Object.entries(merged.paths).sort(([a], [b]) => a.localeCompare(b)));
  merged.tags = [...tags].sort().map((name) => ({ name }));
  merged['x-tally-services'] = services;
  merged['x-tally-warnings'] = warnings;
  merged.info.description = [
    'The public Tally API, merged by the gateway from the OpenAPI documents its services generate.',
    policies ? describePolicies(policies) : '',
    warnings.length ? `Warnings:\n${warnings.map((w) => `- ${w}`).join('\n')}` : '',
  ].filter(Boolean).join('\n\n');
  return merged;
}

export interface MergedOpenApiOptions {
  sources: DocSource[];
  ttlMs: number;
  timeoutMs: number;
  logger: Logger;
  policies?: RatePolicies;
  /** For tests. */
  fetchImpl?: typeof fetch;
  /** How long a document with a service missing is reused (so a recovered service shows up soon). */
  degradedTtlMs?: number;
}

/** The merged document, fetched from the services at request time and kept for a while; concurrent requests share one fetch. */
export class MergedOpenApi {
  private cached?: { doc: Json; until: number };
  private inflight?: Promise<Json>;

  constructor(private readonly opts: MergedOpenApiOptions) {}

  async get(): Promise<Json> {
    if (this.cached && Date.now() < this.cached.until) return this.cached.doc;
    this.inflight ??= this.build().finally(() => (this.inflight = undefined));
    return this.inflight;
  }

  private async build(): Promise<Json> {
    const fetched = await Promise.all(this.opts.sources.map((s) => this.fetchOne(s)));
    const doc = mergeDocuments(fetched, this.opts.policies);
    const degraded = fetched.some((f) => f.error);
    if (degraded) this.opts.logger.warn({ warnings: doc['x-tally-warnings'] }, 'OpenAPI document merged without some services');
    const ttl = degraded ? Math.min(this.opts.ttlMs, this.opts.degradedTtlMs ?? 5000) : this.opts.ttlMs;
    this.cached = { doc, until: Date.now() + ttl };
    return doc;
  }

  private async fetchOne(source: DocSource): Promise<FetchedDoc> {
    const f = this.opts.fetchImpl ?? fetch;
    try {
      const res = await f(`${source.baseUrl}/openapi.json`, { signal: AbortSignal.timeout(this.opts.timeoutMs), headers: { accept: 'application/json' } });
      if (!res.ok) return { source, error: `HTTP ${res.status}` };
      return { source, doc: await res.json() };
    } catch (err) {
      const e = err as Error;
      return { source, error: e.name === 'TimeoutError' ? `no answer within ${this.opts.timeoutMs} ms` : e.message };
    }
  }
}
