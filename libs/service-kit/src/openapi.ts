import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { ModulesContainer } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { ApiProperty, ApiPropertyOptions, DECORATORS, DocumentBuilder, HeadersObject, OpenAPIObject, ResponseObject, SchemaObject, SwaggerModule } from '@nestjs/swagger';
import type { ValidationMetadata } from 'class-validator/types/metadata/ValidationMetadata';
import { getMetadataStorage } from 'class-validator';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { IS_PUBLIC } from '@tally/security';
import { PROBLEM_CONTENT_TYPE } from './problem';

export const OPENAPI_PATH = '/openapi.json';
export const BEARER_SCHEME = 'bearer';

export interface OpenApiOptions {
  /** The service's name, the document's title. */
  title: string;
  version?: string;
  logger?: Logger;
}

/**
 * Serves the service's OpenAPI 3.1 document at /openapi.json, generated from its controllers on
 * first request and kept (routes do not change while a process runs). The service port is
 * internal: clients read the merged document at the gateway's /openapi.json and /docs.
 */
export function installOpenApi(app: NestFastifyApplication, fastify: FastifyInstance, opts: OpenApiOptions): void {
  let doc: OpenAPIObject | undefined;
  fastify.get(OPENAPI_PATH, async (_req, reply) => {
    try {
      doc ??= createOpenApiDocument(app, opts);
    } catch (err) {
      opts.logger?.error({ err: (err as Error).message }, 'cannot generate the OpenAPI document');
      return reply.status(500).header('content-type', PROBLEM_CONTENT_TYPE).send({ type: 'about:blank', title: 'Internal Server Error', status: 500, detail: 'The OpenAPI document could not be generated.' });
    }
    return reply.header('cache-control', 'no-cache').send(doc);
  });
}

interface Handler {
  controller: Function;
  method: string;
  isPublic: boolean;
}

/** Every route handler of the application, with whether @Public() opens it. */
function routeHandlers(app: NestFastifyApplication): Handler[] {
  const handlers: Handler[] = [];
  for (const mod of app.get(ModulesContainer).values()) {
    for (const wrapper of mod.controllers.values()) {
      const controller = wrapper.metatype as Function | null;
      if (!controller?.prototype) continue;
      const seen = new Set<string>();
      for (let proto = controller.prototype; proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
        for (const method of Object.getOwnPropertyNames(proto)) {
          if (method === 'constructor' || seen.has(method)) continue;
          const fn = Object.getOwnPropertyDescriptor(proto, method)?.value;
          if (typeof fn !== 'function' || Reflect.getMetadata(PATH_METADATA, fn) === undefined || Reflect.getMetadata(METHOD_METADATA, fn) === undefined) continue;
          seen.add(method);
          const isPublic = Reflect.getMetadata(IS_PUBLIC, fn) ?? Reflect.getMetadata(IS_PUBLIC, controller) ?? false;
          handlers.push({ controller, method, isPublic: isPublic === true });
        }
      }
    }
  }
  return handlers;
}

const operationId = (controllerKey: string, methodKey: string) => `${controllerKey}_${methodKey}`;

/** Builds the document: routes and parameters from Nest, schemas from @ApiProperty or else from class-validator rules, security from @Public(). */
export function createOpenApiDocument(app: NestFastifyApplication, opts: OpenApiOptions): OpenAPIObject {
  const handlers = routeHandlers(app);
  for (const h of handlers) {
    const types: unknown[] = Reflect.getMetadata('design:paramtypes', h.controller.prototype, h.method) ?? [];
    for (const t of types) if (typeof t === 'function') describeFromValidation(t);
  }
  const config = new DocumentBuilder()
    .setOpenAPIVersion('3.1.0')
    .setTitle(opts.title)
    .setVersion(opts.version ?? '1')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'An access token from POST /api/v1/auth/login.' }, BEARER_SCHEME)
    .build();
  const doc = SwaggerModule.createDocument(app, config, { operationIdFactory: operationId });

  const publicOps = new Set(handlers.filter((h) => h.isPublic).map((h) => operationId(h.controller.name, h.method)));
  doc.components ??= {};
  doc.components.schemas = { ...PROBLEM_SCHEMAS, ...(doc.components.schemas ?? {}) };
  doc.components.responses = { ...PROBLEM_RESPONSES, ...(doc.components.responses ?? {}) };
  for (const item of Object.values(doc.paths)) {
    for (const method of HTTP_METHODS) {
      const op = (item as Record<string, any>)[method];
      if (!op) continue;
      const open = publicOps.has(op.operationId);
      op.security = open ? [] : [{ [BEARER_SCHEME]: [] }];
      op.responses ??= {};
      // A query or path parameter is text: it can be absent, never JSON null.
      for (const p of op.parameters ?? []) if (p.schema) delete p.schema.nullable;
      const validated = op.requestBody || (op.parameters ?? []).some((p: { in?: string }) => p.in === 'query' || p.in === 'path');
      if (validated) op.responses['400'] ??= { $ref: '#/components/responses/BadRequest' };
      if (!open) op.responses['401'] ??= { $ref: '#/components/responses/Unauthorized' };
    }
  }
  toJsonSchemaNullability(doc.components.schemas);
  return doc;
}

/** OpenAPI 3.1 has no `nullable`: `{type: 'string', nullable: true}` becomes `{type: ['string', 'null']}`. */
function toJsonSchemaNullability(node: unknown): void {
  if (Array.isArray(node)) return node.forEach(toJsonSchemaNullability);
  if (!node || typeof node !== 'object') return;
  const o = node as Record<string, unknown>;
  if (o.nullable === true) {
    if (typeof o.type === 'string') o.type = [o.type, 'null'];
    else if (Array.isArray(o.type) && !o.type.includes('null')) o.type = [...o.type, 'null'];
    // `enum` applies to every type: without null in it, the type list's null would still be refused.
    if (Array.isArray(o.enum) && !o.enum.includes(null)) o.enum = [...o.enum, null];
    delete o.nullable;
  }
  for (const v of Object.values(o)) toJsonSchemaNullability(v);
}

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

/** The schema of every problem+json body (RFC 9457), as services and the gateway document it. */
export const PROBLEM_DETAILS_SCHEMA: SchemaObject = {
  type: 'object',
  description: 'RFC 9457 problem details.',
  required: ['type', 'title', 'status'],
  properties: {
    type: { type: 'string', format: 'uri-reference' },
    title: { type: 'string' },
    status: { type: 'integer', minimum: 100, maximum: 599 },
    detail: { type: 'string' },
    instance: { type: 'string' },
    code: { type: 'string', description: 'Stable machine-readable error code, e.g. VALIDATION_FAILED or RATE_LIMITED.' },
    errors: {
      type: 'array',
      items: { type: 'object', required: ['field', 'message'], properties: { field: { type: 'string' }, message: { type: 'string' } } },
    },
  },
};

/** A response object whose body is problem+json. */
export function problemResponse(description: string, headers?: HeadersObject): ResponseObject {
  return { description, ...(headers ? { headers } : {}), content: { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: '#/components/schemas/ProblemDetails' } } } };
}

const PROBLEM_SCHEMAS = { ProblemDetails: PROBLEM_DETAILS_SCHEMA };
const PROBLEM_RESPONSES = {
  BadRequest: problemResponse('The request is not valid (code VALIDATION_FAILED lists the fields).'),
  Unauthorized: problemResponse('No valid bearer access token.'),
};

// ---- schemas from class-validator rules, for DTOs without @ApiProperty ----

const PRIMITIVES: unknown[] = [String, Number, Boolean, Object, Array, Date];

/** The class an `@Type(() => X)` of class-transformer names, if any (what @nestjs/mapped-types reads too). */
function transformType(cls: Function, property: string): Function | undefined {
  try {
    const { defaultMetadataStorage } = require('class-transformer/cjs/storage') as { defaultMetadataStorage: { findTypeMetadata(t: Function, p: string): { typeFunction?: () => Function } | undefined } };
    return defaultMetadataStorage.findTypeMetadata(cls, property)?.typeFunction?.();
  } catch {
    return undefined;
  }
}

const described = new WeakSet<Function>();
/** class-validator rule names (its IS_* constants) that say what a string holds. */
const FORMATS: Record<string, string> = {
  isEmail: 'email', isUuid: 'uuid', isUrl: 'uri', isIso8601: 'date-time', isDateString: 'date-time', isDate: 'date-time',
  isJwt: 'jwt', isIP: 'ip', isDecimal: 'decimal', isNumberString: 'decimal',
};
const STRING_RULES = new Set([
  'isString', 'isEmail', 'isUuid', 'isUrl', 'isIso8601', 'isDateString', 'isDecimal', 'isNumberString', 'isJwt', 'isIP', 'matches',
  'isAlphanumeric', 'isAlpha', 'isHexColor', 'isLocale', 'isTimeZone', 'isISO4217CurrencyCode', 'isLowercase', 'isUppercase', 'isMobilePhone', 'isPhoneNumber',
]);

/**
 * Adds @ApiProperty metadata, inferred from the class-validator rules, to each property of a DTO
 * that has none (an @ApiProperty written by hand always wins). Nested DTOs are described too.
 * The rules become type, format, length and range bounds, pattern, enum, required and default.
 */
export function describeFromValidation(cls: Function): void {
  if (described.has(cls) || PRIMITIVES.includes(cls)) return;
  described.add(cls);
  const metas = getMetadataStorage().getTargetValidationMetadatas(cls, '', true, false);
  if (!metas.length) return;
  const byProperty = new Map<string, ValidationMetadata[]>();
  for (const m of metas) byProperty.set(m.propertyName, [...(byProperty.get(m.propertyName) ?? []), m]);
  let defaults: Record<string, unknown> = {};
  try {
    defaults = new (cls as new () => Record<string, unknown>)();
  } catch {
    // a DTO whose constructor needs arguments: no defaults
  }
  for (const [property, rules] of byProperty) {
    if (Reflect.hasMetadata(DECORATORS.API_MODEL_PROPERTIES, cls.prototype, property)) continue;
    const options = schemaFromRules(cls, property, rules, defaults[property]);
    ApiProperty(options)(cls.prototype, property);
  }
}

function schemaFromRules(cls: Function, property: string, rules: ValidationMetadata[], defaultValue: unknown): ApiPropertyOptions {
  // @IsOptional() and @ValidateIf() both let the property be absent; @IsOptional() lets it be null too
  // (class-validator skips every rule for null), so the document says so: null is how a field is cleared.
  const o: Record<string, unknown> = { required: !rules.some((r) => r.type === 'conditionalValidation') };
  if (rules.some((r) => r.name === 'isOptional')) o.nullable = true;
  const designType = Reflect.getMetadata('design:type', cls.prototype, property);
  const named = (name: string) => rules.find((r) => r.name === name);
  const array = Boolean(named('isArray')) || designType === Array;
  const item: Record<string, unknown> = {};
  const target = (r: ValidationMetadata) => (array && r.each ? item : o);
  for (const r of rules) {
    const c = r.constraints ?? [];
    const t = target(r);
    switch (r.name) {
      case 'isInt': t.type = 'integer'; break;
      case 'isNumber': t.type = 'number'; break;
      case 'isBoolean': t.type = 'boolean'; break;
      case 'isObject': t.type = 'object'; break;
      case 'isISO4217CurrencyCode': t.pattern ??= '^[A-Z]{3}$'; break;
      case 'isLength': t.minLength = c[0]; if (c[1] !== undefined) t.maxLength = c[1]; t.type ??= 'string'; break;
      case 'minLength': t.minLength = c[0]; break;
      case 'maxLength': t.maxLength = c[0]; break;
      case 'isNotEmpty': if (t.type === undefined || t.type === 'string') t.minLength ??= 1; break;
      case 'min': t.minimum = c[0]; break;
      case 'max': t.maximum = c[0]; break;
      case 'isPositive': t.exclusiveMinimum = 0; break;
      case 'matches': if (c[0] instanceof RegExp) t.pattern = c[0].source; else if (typeof c[0] === 'string') t.pattern = c[0]; break;
      case 'isIn': if (Array.isArray(c[0])) t.enum = c[0]; break;
      case 'isEnum': if (c[0] && typeof c[0] === 'object') t.enum = [...new Set(Object.entries(c[0]).filter(([k]) => Number.isNaN(Number(k))).map(([, v]) => v))]; break;
      case 'arrayMinSize': o.minItems = c[0]; break;
      case 'arrayMaxSize': o.maxItems = c[0]; break;
      default: break;
    }
    if (r.name && STRING_RULES.has(r.name)) t.type ??= 'string';
    if (r.name && FORMATS[r.name] && !t.format) t.format = FORMATS[r.name];
  }
  if (o.exclusiveMinimum === 0) {
    // 3.1 (JSON Schema 2020-12) writes it as a number; @nestjs/swagger's option is typed for 3.0.
    delete o.exclusiveMinimum;
    o.minimum ??= 0;
  }
  const nested = rules.find((r) => r.type === 'nestedValidation');
  const nestedType = transformType(cls, property) ?? (typeof designType === 'function' && !PRIMITIVES.includes(designType) ? designType : undefined);
  if (nested && nestedType && !PRIMITIVES.includes(nestedType)) {
    describeFromValidation(nestedType);
    if (array) item.type = nestedType;
    else o.type = nestedType;
  }
  if (o.type === undefined) {
    o.type = designType === Number ? 'number' : designType === Boolean ? 'boolean' : designType === Date ? 'string' : designType === String ? 'string' : undefined;
    if (designType === Date) o.format = 'date-time';
  }
  if (array) {
    o.isArray = true;
    if (item.type !== undefined) o.type = item.type;
    for (const k of ['minLength', 'maxLength', 'minimum', 'maximum', 'pattern', 'enum', 'format']) if (item[k] !== undefined) o[k] = item[k];
  }
  if (o.type === undefined) delete o.type;
  if (defaultValue !== undefined && (typeof defaultValue !== 'object' || Array.isArray(defaultValue))) o.default = defaultValue;
  return o as ApiPropertyOptions;
}
