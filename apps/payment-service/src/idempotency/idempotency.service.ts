import { createHash } from 'node:crypto';
import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown, Optional } from '@nestjs/common';
import { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { inTransaction } from '@tally/persistence';
import { CONFIG, ServiceRuntime } from '@tally/service-kit';
import type { PaymentServiceConfig } from '../config/payment.config';
import { canonicalJson } from './canonical-json';
import { IdempotencyErrors } from './idempotency.exceptions';
import { IdempotencyRepository } from './idempotency.repository';

/** A key lives this long: the same key and body within it return the first answer. */
export const IDEMPOTENCY_TTL_SECONDS = 24 * 3600;
/** 1–255 printable ASCII characters (space to tilde). */
const KEY = /^[\x20-\x7e]{1,255}$/;

export interface IdempotentRequest {
  userId: string;
  /** The Idempotency-Key header (undefined when absent). */
  key: string | undefined;
  method: string;
  path: string;
  /** The request body as validated (hashed as canonical JSON: key order does not matter). */
  body: unknown;
}

export interface IdempotentAnswer<T> {
  status: number;
  body: T;
  /** True when this is the stored answer of an earlier request (send `Idempotent-Replayed: true`). */
  replayed: boolean;
}

/** sha256 hex of the method, the path and the canonical JSON of the body. */
export function requestHash(method: string, path: string, body: unknown): string {
  return createHash('sha256').update(`${method.toUpperCase()} ${path}\n${canonicalJson(body)}`).digest('hex');
}

/**
 * Stripe's `Idempotency-Key` semantics for POSTs that move money (settlements, payments), on
 * `idempotency_keys`, keyed by (user, key):
 *
 * - `run` works inside the caller's transaction. It first inserts the key's row (a placeholder: status
 *   0 and the request's hash, sha256 of method, path and canonical JSON body), then runs `fn`, then
 *   stores `fn`'s status and body on the row — all committed together with what `fn` did.
 * - The same key again, with the same method, path and body, within 24 hours: the stored status and
 *   body, `replayed: true` (the controller sends `Idempotent-Replayed: true`); `fn` does not run.
 * - The same key with another body, path or method: 422 `IDEMPOTENCY_KEY_REUSED`.
 * - Concurrent requests with one key: the others wait on the row's primary key until the first
 *   commits, then replay its answer — one object is made, never two. If the first rolls back, the
 *   next one takes the key and does the work.
 * - Only successful answers are stored: an error thrown by `fn` (a 4xx problem, a provider that is
 *   down) rolls the transaction back, row included, so the key stays unused and a retry with it does
 *   the work again.
 * - Rows expire 24 hours after they were made; an expired row is ignored and taken over by the next
 *   request with its key, and deleted in bounded batches every IDEMPOTENCY_PRUNE_EVERY_SECONDS.
 * - Key: 1–255 printable ASCII characters; absent → 400 `IDEMPOTENCY_KEY_REQUIRED` (unless
 *   `required: false`, when `fn` simply runs), malformed → 400 `IDEMPOTENCY_KEY_INVALID`.
 */
@Injectable()
export class IdempotencyService implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer?: NodeJS.Timeout;
  private pruning?: Promise<unknown>;

  constructor(
    private readonly keys: IdempotencyRepository,
    @Optional() private readonly orm?: MikroORM,
    @Optional() @Inject(CONFIG) private readonly config?: Pick<PaymentServiceConfig, 'IDEMPOTENCY_PRUNE_EVERY_SECONDS'>,
    @Optional() private readonly runtime?: ServiceRuntime,
  ) {}

  async run<T>(em: EntityManager, req: IdempotentRequest, fn: () => Promise<{ status: number; body: T }>, opts: { required?: boolean } = {}): Promise<IdempotentAnswer<T>> {
    if (req.key === undefined) {
      if (opts.required === false) return { ...(await fn()), replayed: false };
      throw IdempotencyErrors.required();
    }
    if (!KEY.test(req.key)) throw IdempotencyErrors.invalid();
    if (!em.getTransactionContext()) throw new Error('IdempotencyService.run must run inside a transaction (inTransaction)');
    const method = req.method.toUpperCase();
    const hash = requestHash(method, req.path, req.body);
    const claimed = await this.keys.claim(em, { userId: req.userId, key: req.key, method, path: req.path, requestHash: hash, ttlSeconds: IDEMPOTENCY_TTL_SECONDS });
    if (!claimed) {
      const stored = await this.keys.find(em, req.userId, req.key);
      // Expired between the insert and this read: a very late retry; the client retries again.
      if (!stored) throw IdempotencyErrors.inUse();
      if (stored.requestHash !== hash || stored.method !== method || stored.path !== req.path) throw IdempotencyErrors.reused();
      if (stored.statusCode === 0) throw IdempotencyErrors.inUse();
      return { status: stored.statusCode, body: stored.responseBody as T, replayed: true };
    }
    const answer = await fn();
    await this.keys.complete(em, req.userId, req.key, answer.status, answer.body);
    return { ...answer, replayed: false };
  }

  /** Deletes expired keys in batches of `batch` (at most `maxBatches` of them); how many it deleted. */
  async pruneExpired(batch = 1000, maxBatches = 100): Promise<number> {
    if (!this.orm) throw new Error('IdempotencyService.pruneExpired needs the ORM');
    const orm = this.orm;
    let total = 0;
    for (let i = 0; i < maxBatches; i++) {
      const n = await inTransaction(orm, (em) => this.keys.pruneExpired(em, batch));
      total += n;
      if (n < batch) break;
    }
    return total;
  }

  onApplicationBootstrap(): void {
    const every = this.config?.IDEMPOTENCY_PRUNE_EVERY_SECONDS;
    if (!this.orm || !every) return;
    this.timer = setInterval(() => {
      if (this.pruning) return;
      this.pruning = this.pruneExpired()
        .then((n) => n && this.runtime?.logger.info({ deleted: n }, 'expired idempotency keys pruned'))
        .catch((err: Error) => this.runtime?.logger.warn({ err: err.message }, 'pruning idempotency keys failed'))
        .finally(() => (this.pruning = undefined));
    }, every * 1000);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.pruning;
  }
}
