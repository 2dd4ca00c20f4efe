import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';

/** RFC 9457 problem details. */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  code?: string;
  errors?: { field: string; message: string }[];
  [extra: string]: unknown;
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';
const TYPE_BASE = 'https://tally.dev/problems/';

/**
 * A domain error: a stable machine code, an HTTP status and a human message.
 * Services throw these (or subclasses); one filter maps them to problem+json.
 */
export class DomainException extends Error {
  constructor(
    public readonly code: string,
    message: string,
    public readonly status: number = HttpStatus.UNPROCESSABLE_ENTITY,
    public readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'DomainException';
  }
}

const TITLES: Record<number, string> = {
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed',
  406: 'Not Acceptable', 409: 'Conflict', 410: 'Gone', 413: 'Payload Too Large', 414: 'URI Too Long', 415: 'Unsupported Media Type',
  422: 'Unprocessable Content', 423: 'Locked', 429: 'Too Many Requests', 500: 'Internal Server Error',
  502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Timeout',
};

export function problem(status: number, detail?: string, extra: Partial<ProblemDetails> = {}): ProblemDetails {
  const title = TITLES[status] ?? 'Error';
  // The extra members never replace the problem's own: a domain error's `status` field (say, an
  // invitation's state) once became the HTTP status and made the answer a 500.
  const { type: _type, title: _title, status: _status, detail: _detail, ...members } = extra as Record<string, unknown>;
  return {
    ...members,
    type: extra.code ? TYPE_BASE + extra.code.toLowerCase().replace(/_/g, '-') : 'about:blank',
    title,
    status,
    ...(detail ? { detail } : {}),
  } as ProblemDetails;
}

/** Turns every error into problem+json; internals of 5xx never leak. */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  private readonly logger = new Logger('ProblemDetailsFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    const reply = ctx.getResponse<FastifyReply>();
    const req = ctx.getRequest<FastifyRequest>();
    const body = this.toProblem(exception);
    body.instance = req.url.split('?')[0];
    if (body.status >= 500) this.logger.error(exception instanceof Error ? exception : new Error(String(exception)));
    void reply.status(body.status).header('content-type', PROBLEM_CONTENT_TYPE).send(body);
  }

  toProblem(exception: unknown): ProblemDetails {
    if (exception instanceof DomainException) {
      return problem(exception.status, exception.message, { ...exception.extra, code: exception.code });
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const res = exception.getResponse();
      if (typeof res === 'object' && res && 'errors' in res && Array.isArray((res as { errors: unknown }).errors)) {
        const r = res as { message?: string; errors: { field: string; message: string }[] };
        return problem(status, r.message ?? 'The request is not valid.', { code: 'VALIDATION_FAILED', errors: r.errors });
      }
      const message = typeof res === 'string' ? res : ((res as { message?: unknown }).message ?? exception.message);
      return problem(status, Array.isArray(message) ? message.join('; ') : String(message));
    }
    const e = exception as { statusCode?: number; code?: string; message?: string };
    // Fastify's own errors (body too large, bad JSON, wrong content type) carry a 4xx statusCode.
    if (typeof e?.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
      return problem(e.statusCode, e.message ?? undefined, e.code ? { code: e.code } : {});
    }
    return problem(500, 'An unexpected error occurred. It has been logged.');
  }
}

/** The part of a Fastify reply a problem needs (typed loosely: Nest's adapter brings its own copy of Fastify's types). */
interface ProblemReply {
  status(code: number): ProblemReply;
  header(name: string, value: string): ProblemReply;
  send(payload?: unknown): unknown;
}

/** What the router's own refusals say, without echoing the (possibly huge or malformed) path. */
const FRAMEWORK_DETAILS: Record<string, string> = {
  FST_ERR_BAD_URL: 'The URL is not valid: a percent-encoded part does not decode to UTF-8 text.',
  FST_ERR_MAX_PARAM_LENGTH: 'A path parameter is too long (at most 100 characters).',
};

/**
 * Fastify's `frameworkErrors` option, for every Fastify instance we start (services and gateway):
 * the router's own refusals, before any route, hook or Nest filter runs (a malformed
 * percent-encoding: 400; a path parameter over `maxParamLength`: 414), as problem+json instead of
 * Fastify's `{statusCode, error, message}` application/json.
 */
export function frameworkErrorsAsProblems(error: Pick<FastifyError, 'statusCode' | 'code' | 'message'>, req: { url?: string }, reply: ProblemReply): void {
  const status = typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 600 ? error.statusCode : 500;
  const detail = (error.code && FRAMEWORK_DETAILS[error.code]) ?? (status < 500 ? error.message : 'An unexpected error occurred.');
  void reply
    .status(status)
    .header('content-type', PROBLEM_CONTENT_TYPE)
    .send({ ...problem(status, detail, error.code ? { code: error.code } : {}), instance: (req.url ?? '').split('?')[0].slice(0, 300) });
}
