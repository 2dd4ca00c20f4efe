import { domainToASCII } from 'node:url';
import { ArgumentMetadata, BadRequestException, ValidationError, ValidationPipe } from '@nestjs/common';
import Ajv from 'ajv';
import { LRUCache } from 'lru-cache';
import addFormats from 'ajv-formats';
import { Matches, ValidateBy, ValidationOptions, buildMessage } from 'class-validator';
import type { FastifyInstance } from 'fastify';
import { PROBLEM_CONTENT_TYPE, problem } from './problem';

function flatten(errors: ValidationError[], prefix = ''): { field: string; message: string }[] {
  return errors.flatMap((e) => {
    const field = prefix + e.property;
    const own = Object.values(e.constraints ?? {}).map((message) => ({ field, message }));
    return [...own, ...flatten(e.children ?? [], `${field}.`)];
  });
}

const PRIMITIVE_TYPES: unknown[] = [String, Number, Boolean, Object, Array, Symbol, BigInt];

/**
 * Nest's ValidationPipe, plus: a body validated by a DTO class must be a JSON object. Nest lets
 * `null` (and a missing body) through without running a single rule, so `PATCH` with `null` used
 * to answer 200; arrays, strings and numbers are refused the same way.
 */
class TallyValidationPipe extends ValidationPipe {
  private readonly queries = new WeakMap<Function, LRUCache<string, object>>();

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    const dto = typeof metadata.metatype === 'function' && !PRIMITIVE_TYPES.includes(metadata.metatype);
    if (metadata.type === 'body' && dto && (value === null || typeof value !== 'object' || Array.isArray(value))) {
      throw new BadRequestException({ message: 'The request body must be a JSON object.', errors: [{ field: 'body', message: 'body must be a JSON object' }] });
    }
    if (metadata.type === 'query' && dto && value !== null && typeof value === 'object') return this.query(value, metadata);
    return super.transform(value, metadata);
  }

  /**
   * A query DTO's outcome for a query string it validated before. The same list is asked for again
   * and again (an app's home screen), and class-validator's rules and metadata lookups were a tenth
   * of a cached read's cost. A query's rules are a function of the query alone (no clock, no
   * database: keep them so), so a valid query's DTO is kept (bounded, per DTO class) and each request
   * gets its own shallow copy; only DTOs of plain values are kept, and refusals never are.
   */
  private async query(value: object, metadata: ArgumentMetadata): Promise<unknown> {
    const type = metadata.metatype as Function;
    let memo = this.queries.get(type);
    if (!memo) {
      memo = new LRUCache<string, object>({ max: QUERY_MEMO_MAX });
      this.queries.set(type, memo);
    }
    const key = JSON.stringify(value);
    const kept = memo.get(key);
    if (kept) return copyOf(kept);
    const dto = await super.transform(value, metadata);
    if (dto !== null && typeof dto === 'object' && Object.values(dto).every((v) => v === null || typeof v !== 'object')) memo.set(key, copyOf(dto));
    return dto;
  }
}

/** Distinct valid query strings remembered per query DTO class. */
const QUERY_MEMO_MAX = 1000;

const copyOf = (o: object): object => Object.assign(Object.create(Object.getPrototypeOf(o) as object | null) as object, o);

/** Unknown fields are refused, types are checked, nothing is coerced silently except query strings; bodies are objects. */
export function createValidationPipe(): ValidationPipe {
  return new TallyValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
    transformOptions: { enableImplicitConversion: false },
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => new BadRequestException({ message: 'The request is not valid.', errors: flatten(errors) }),
  });
}

// ---- well-formed text, at the edge of every service ---------------------------------------------

/**
 * A NUL character, or a UTF-16 surrogate without its pair. PostgreSQL refuses the first (in TEXT
 * and in JSONB) and the second cannot be encoded as UTF-8 (it would be stored as U+FFFD), so
 * neither may get past the edge.
 */
const ILL_FORMED = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Text without NUL characters and without unpaired surrogates. */
export function isWellFormedText(s: string): boolean {
  return !ILL_FORMED.test(s);
}

/** A field path fit to echo in an error: the ill-formed characters themselves become U+FFFD. */
const printable = (path: string) => path.replace(new RegExp(ILL_FORMED.source, 'g'), '\ufffd');

/**
 * Where in a parsed input (a JSON body, the query or the path parameters) there is ill-formed text,
 * in a string or in an object key, at any depth: `bio`, `socialLinks.github`, `items[2].name`; or
 * undefined. Iterative, so no nesting is too deep to be checked.
 */
export function findIllFormedText(value: unknown): string | undefined {
  const stack: [unknown, string][] = [[value, '']];
  while (stack.length) {
    const [v, path] = stack.pop()!;
    if (typeof v === 'string') {
      if (ILL_FORMED.test(v)) return path;
    } else if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push([v[i], `${path}[${i}]`]);
    } else if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        const p = path ? `${path}.${k}` : k;
        if (ILL_FORMED.test(k)) return printable(p);
        stack.push([x, p]);
      }
    }
  }
  return undefined;
}

/** Whether every `name=value` of a raw query string decodes as UTF-8 percent-encoding. */
export function isWellFormedQuery(raw: string): boolean {
  for (const part of raw.split(/[&=]/)) {
    try {
      const text = decodeURIComponent(part.replace(/\+/g, ' '));
      if (!isWellFormedText(text)) return false;
    } catch {
      return false;
    }
  }
  return true;
}

/**
 * Refuses, with 400 problem+json before any route runs, a request whose path parameters, query or
 * body hold a NUL character or an unpaired UTF-16 surrogate anywhere. One hook for every route of
 * every service, including routes added later: no DTO needs to remember it.
 */
export function installTextGuard(fastify: FastifyInstance): void {
  // A callback hook, not an async one: no promise on every request of every service.
  fastify.addHook('preValidation', (req, reply, done) => {
    // The query parser keeps a percent-escape that is not UTF-8 (`%ED%A0%80`, a lone surrogate) as
    // literal text; refuse it (after the parsed fields, which name the field), as the path's is refused.
    const rawQuery = req.url.includes('?') ? req.url.slice(req.url.indexOf('?') + 1) : '';
    const inputs: [string, unknown][] = [['path', req.params], ['query', req.query], ['body', req.body]];
    if (rawQuery !== '' && !isWellFormedQuery(rawQuery)) inputs.push(['query', '\u0000']);
    for (const [where, input] of inputs) {
      const at = findIllFormedText(input);
      if (at === undefined) continue;
      const field = at || where;
      // Answered here: the rest of the request's hooks and its handler do not run (done is not called).
      void reply.status(400).header('content-type', PROBLEM_CONTENT_TYPE).send({
        ...problem(400, 'The request is not valid.', {
          code: 'VALIDATION_FAILED',
          errors: [{ field, message: `${field} must be well-formed text: no NUL characters and no unpaired UTF-16 surrogates` }],
        }),
        instance: req.url.split('?')[0],
      });
      return;
    }
    done();
  });
}

// ---- email addresses: what the event schemas accept ----------------------------------------------

/**
 * `ann@bücher.de` → `ann@xn--bcher-kva.de`: an internationalized domain in its ASCII (IDNA A-label)
 * form, the form mail servers and the event schemas (`format: email`) take and one mailbox has only
 * one of. ASCII addresses and anything that is not `local@domain` are returned unchanged (the rule
 * below then decides); so is a domain that has no A-label.
 */
export function asciiEmailDomain(value: string): string {
  const at = value.lastIndexOf('@');
  if (at < 0) return value;
  const domain = value.slice(at + 1);
  if (/^[\x00-\x7f]*$/.test(domain)) return value;
  const ascii = domainToASCII(domain);
  return ascii ? `${value.slice(0, at)}@${ascii}` : value;
}

const ajv = new Ajv({ strict: false });
addFormats(ajv);
const emailFormat = ajv.compile({ type: 'string', format: 'email' });

/**
 * An email address exactly as ajv-formats' `format: email` reads it, the format every event schema
 * uses for addresses (libs/contracts): an ASCII local part and host name, no quoted local parts, no
 * IP literals. class-validator's IsEmail accepts more (UTF-8 local parts, Unicode domains, quoted
 * names), which then failed the event's validation inside the transaction as a 500. Put
 * `asciiEmailDomain` before it to accept internationalized domains. Named `isEmail`, so the
 * OpenAPI document says `format: email`.
 */
export function IsEmailAddress(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isEmail',
      validator: {
        validate: (v) => typeof v === 'string' && emailFormat(v) === true,
        defaultMessage: buildMessage((each) => `${each}$property must be a valid email address`, options),
      },
    },
    options,
  );
}

/** Characters as JSON Schema's maxLength, ajv and PostgreSQL's VARCHAR(n) count them: code points. */
export const charLength = (s: string): number => {
  let n = 0;
  for (const _c of s) n++;
  return n;
};

/**
 * At most `max` characters, counted as code points like ajv's `maxLength` and PostgreSQL's
 * VARCHAR(n). class-validator's MaxLength does not count a variation selector (U+FE0F) after a
 * character, so a string it accepts could fail the event schema or the column: a 500. Named
 * `maxLength`, so the OpenAPI document says `maxLength: max`.
 */
export function MaxChars(max: number, options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'maxLength',
      constraints: [max],
      validator: {
        validate: (v) => typeof v === 'string' && charLength(v) <= max,
        defaultMessage: buildMessage((each) => `${each}$property must be at most ${max} characters long`, options),
      },
    },
    options,
  );
}

/**
 * From `min` to `max` characters, counted as code points (see MaxChars); class-validator's Length
 * counts differently. Named `isLength`, so the OpenAPI document says `minLength`/`maxLength`.
 */
export function CharLength(min: number, max: number, options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isLength',
      constraints: [min, max],
      validator: {
        validate: (v) => typeof v === 'string' && charLength(v) >= min && charLength(v) <= max,
        defaultMessage: buildMessage((each) => `${each}$property must be ${min} to ${max} characters long`, options),
      },
    },
    options,
  );
}

/**
 * A string with something in it. An empty or blank string is refused (400), never read as "clear
 * this field": JSON `null` clears a nullable field, one documented way. Documented as `pattern: \\S`.
 */
export function IsNotBlank(options?: ValidationOptions): PropertyDecorator {
  return Matches(/\S/, { message: ({ property }) => `${property} must not be empty or blank; send null to clear it`, ...options });
}
