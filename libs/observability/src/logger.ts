import { LoggerService } from '@nestjs/common';
import pino, { Logger } from 'pino';
import { currentContext } from './context';

/** Paths whose values never reach a log line. */
export const REDACT_PATHS = [
  'password', '*.password', 'newPassword', '*.newPassword', 'currentPassword', '*.currentPassword',
  'token', '*.token', 'accessToken', '*.accessToken', 'refreshToken', '*.refreshToken',
  'authorization', '*.authorization', 'headers.authorization', 'req.headers.authorization', 'req.headers.cookie',
  'privateJwk', '*.privateJwk', 'secret', '*.secret', 'smtpPass', '*.smtpPass',
];

const REDACTED = '[REDACTED]';

/** An SQL statement in a message: database drivers and MikroORM put the statement, values inlined, before the error. */
const SQL = /\b(insert\s+into|update\s+\S+\s+set|delete\s+from|select\s[\s\S]*?\sfrom|values\s*\()/i;
/** A quoted SQL literal (`'…'`, `''` escapes inside; the `E` of `E'…'` stays outside). */
const SQL_LITERAL = /'(?:[^']|'')*'/g;
/** PostgreSQL's DETAIL text: `Key (token)=(…) already exists.`, `Failing row contains (…).` */
const PG_KEY = /(Key \([^)]*\)=\()[\s\S]*?(\)( already exists| is not present| is still referenced|\s*$))/g;
const PG_ROW = /(Failing row contains \()[\s\S]*?(\)\.?\s*$)/gm;
const DETAIL_LINE = /((?:^|\n)\s*DETAIL:)[^\n]*/g;
/** A canonical UUID: an identifier, kept (event, user and row ids make logs useful). */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Token-shaped: 20+ characters of base64url or hex, with at least one digit and one letter (a secret, a hash, a JWT part). */
const TOKENISH = /[A-Za-z0-9_-]{20,}={0,2}/g;

/**
 * Error text with what may be secret taken out, for logs and for the `x-dlq-error` header of dead
 * letters: the values an SQL statement inlines (the quoted literals of a driver's or MikroORM's
 * "INSERT … VALUES ('<token>', …) - duplicate key …"), PostgreSQL's DETAIL (`Key (token)=(…)`,
 * `Failing row contains (…)`), and every token-shaped substring (20+ base64url or hex characters
 * mixing digits and letters, UUIDs excepted). Redacting by key name (REDACT_PATHS) cannot reach a
 * secret inside a message; this does, for every error the logger serializes.
 */
export function redactErrorText(text: string): string {
  let out = text;
  if (SQL.test(out)) out = out.replace(SQL_LITERAL, `'${REDACTED}'`);
  out = out.replace(PG_KEY, `$1${REDACTED}$2`).replace(PG_ROW, `$1${REDACTED}$2`).replace(DETAIL_LINE, `$1 ${REDACTED}`);
  return out.replace(TOKENISH, (m) => (UUID.test(m) || !/[0-9]/.test(m) || !/[A-Za-z]/.test(m) ? m : REDACTED));
}

/** Fields of database errors that repeat the statement, its values or the offending row. */
const ERROR_TEXT_FIELDS = new Set(['message', 'stack', 'detail', 'hint', 'where', 'internalQuery', 'query', 'sql', 'sqlMessage', 'errmsg']);
const ERROR_VALUE_FIELDS = new Set(['parameters', 'params', 'bindings', 'values']);

function redactSerializedError(v: unknown, depth = 0): unknown {
  if (typeof v === 'string') return redactErrorText(v);
  if (!v || typeof v !== 'object' || depth > 5) return v;
  if (Array.isArray(v)) return v.map((x) => redactSerializedError(x, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) {
    if (ERROR_VALUE_FIELDS.has(k)) out[k] = REDACTED;
    else if (typeof x === 'string') out[k] = ERROR_TEXT_FIELDS.has(k) ? redactErrorText(x) : x;
    else out[k] = redactSerializedError(x, depth + 1);
  }
  return out;
}

/** pino's error serializer, then redactErrorText on the message, stack, DETAIL and query of the error and its causes; values bound to a query are dropped. */
export function serializeError(err: unknown): unknown {
  if (typeof err === 'string') return redactErrorText(err);
  return redactSerializedError(err instanceof Error ? pino.stdSerializers.err(err) : err);
}

/** A service's JSON logger; `destination` (default stdout) lets tests read what would be written. */
export function createLogger(service: string, level = 'info', destination?: pino.DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { service },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACT_PATHS, censor: REDACTED },
    serializers: { err: serializeError, error: serializeError },
    formatters: { level: (label) => ({ level: label }) },
    mixin() {
      const ctx = currentContext();
      return ctx ? { correlationId: ctx.correlationId } : {};
    },
  };
  return destination ? pino(options, destination) : pino(options);
}

/** Nest's LoggerService on top of pino, so framework logs are JSON too. */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}
  log(message: unknown, ...rest: unknown[]) { this.write('info', message, rest); }
  error(message: unknown, ...rest: unknown[]) { this.write('error', message, rest); }
  warn(message: unknown, ...rest: unknown[]) { this.write('warn', message, rest); }
  debug(message: unknown, ...rest: unknown[]) { this.write('debug', message, rest); }
  verbose(message: unknown, ...rest: unknown[]) { this.write('trace', message, rest); }
  fatal(message: unknown, ...rest: unknown[]) { this.write('fatal', message, rest); }

  private write(level: 'info' | 'error' | 'warn' | 'debug' | 'trace' | 'fatal', message: unknown, rest: unknown[]) {
    const context = typeof rest[rest.length - 1] === 'string' ? (rest[rest.length - 1] as string) : undefined;
    // Nest's own messages often are an error's message and stack: both are redacted like serialized errors.
    if (message instanceof Error) this.logger[level]({ err: message, context }, redactErrorText(message.message));
    else if (typeof message === 'object' && message !== null) this.logger[level]({ ...(message as object), context });
    else this.logger[level]({ context, ...(level === 'error' && typeof rest[0] === 'string' && rest.length > 1 ? { stack: redactErrorText(rest[0]) } : {}) }, redactErrorText(String(message)));
  }
}
