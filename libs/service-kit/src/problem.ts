import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';

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
  406: 'Not Acceptable', 409: 'Conflict', 410: 'Gone', 413: 'Payload Too Large', 415: 'Unsupported Media Type',
  422: 'Unprocessable Content', 423: 'Locked', 429: 'Too Many Requests', 500: 'Internal Server Error',
  502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Timeout',
};

export function problem(status: number, detail?: string, extra: Partial<ProblemDetails> = {}): ProblemDetails {
  const title = TITLES[status] ?? 'Error';
  return {
    type: extra.code ? TYPE_BASE + extra.code.toLowerCase().replace(/_/g, '-') : 'about:blank',
    title,
    status,
    ...(detail ? { detail } : {}),
    ...extra,
  };
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
      return problem(exception.status, exception.message, { code: exception.code, ...exception.extra });
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
