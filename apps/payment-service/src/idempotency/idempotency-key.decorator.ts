import { ExecutionContext, createParamDecorator } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';

export const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';
export const IDEMPOTENT_REPLAYED_HEADER = 'Idempotent-Replayed';

/** What a controller passes on to IdempotencyService.run: the header's value and the request's method and path. */
export interface IdempotencyRequestInfo {
  /** The Idempotency-Key header as sent (undefined when absent); IdempotencyService checks it. */
  key: string | undefined;
  method: string;
  /** The path without its query string. */
  path: string;
}

/**
 * `@IdempotencyKey() idem: IdempotencyRequestInfo` — the request's Idempotency-Key header (a header sent
 * twice counts as invalid: both values are kept, joined, so the check refuses it), method and path.
 */
export const IdempotencyKey = createParamDecorator((_: unknown, ctx: ExecutionContext): IdempotencyRequestInfo => {
  const req = ctx.switchToHttp().getRequest<FastifyRequest>();
  const raw = req.headers[IDEMPOTENCY_KEY_HEADER];
  return {
    key: Array.isArray(raw) ? raw.join(',\u0000') : raw,
    method: req.method.toUpperCase(),
    path: req.url.split('?')[0],
  };
});

/** The part of a Fastify reply `sendIdempotent` uses (Nest's adapter brings its own copy of Fastify's types). */
interface ReplyLike {
  status(code: number): unknown;
  header(name: string, value: string): unknown;
}

/**
 * With `@Res({ passthrough: true }) reply`: sets `Idempotent-Replayed: true` on a replay and returns the
 * body for Nest to send. Nest then sets the route's own status (201 for a POST, or its `@HttpCode`)
 * over the one set here, so `fn` must answer with that same status, as the stored one then is too.
 */
export function sendIdempotent<T>(reply: ReplyLike | FastifyReply, result: { status: number; body: T; replayed: boolean }): T {
  (reply as ReplyLike).status(result.status);
  if (result.replayed) (reply as ReplyLike).header(IDEMPOTENT_REPLAYED_HEADER, 'true');
  return result.body;
}
