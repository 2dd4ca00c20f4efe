import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes, randomUUID } from 'node:crypto';

/** What travels with one unit of work: an HTTP request, a Kafka message, a job. */
export interface RequestContext {
  correlationId: string;
  traceparent?: string;
  userId?: string;
  ip?: string;
  userAgent?: string;
}

const storage = new AsyncLocalStorage<RequestContext>();

export function runWithContext<T>(ctx: RequestContext, fn: () => T): T {
  return storage.run(ctx, fn);
}

export function currentContext(): RequestContext | undefined {
  return storage.getStore();
}

export function newCorrelationId(): string {
  return randomUUID();
}

/** Random bytes as hex from a pooled buffer: ids made on every request cost no getrandom call each (as randomUUID does). */
let pool = Buffer.alloc(0);
let used = 0;
function randomHex(bytes: number): string {
  if (used + bytes > pool.length) {
    pool = randomBytes(4096);
    used = 0;
  }
  used += bytes;
  return pool.toString('hex', used - bytes, used);
}

/** W3C traceparent: version-traceid-parentid-flags. */
export function newTraceparent(): string {
  return `00-${randomHex(16)}-${randomHex(8)}-01`;
}

const TRACEPARENT = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;

/** Continues a trace: same trace id, new span id. Starts one if the input is missing or malformed. */
export function childTraceparent(parent?: string | null): string {
  if (!parent || !TRACEPARENT.test(parent)) return newTraceparent();
  const [v, trace, , flags] = parent.split('-');
  return `${v}-${trace}-${randomHex(8)}-${flags}`;
}

const SAFE_ID = /^[A-Za-z0-9._:-]{1,100}$/;
/** Accept a caller's id only if it is short and harmless; otherwise make one. */
export function sanitizeCorrelationId(value: unknown): string {
  return typeof value === 'string' && SAFE_ID.test(value) ? value : newCorrelationId();
}
