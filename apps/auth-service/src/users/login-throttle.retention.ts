import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { MikroORM } from '@mikro-orm/postgresql';
import { freshEm } from '@tally/persistence';
import { CONFIG } from '@tally/service-kit';
import { AuthServiceConfig } from '../config/auth.config';
import { AccountRepository } from './account.repository';

/**
 * Keeps `login_throttles` from growing without bound: every LOGIN_THROTTLE_PRUNE_INTERVAL_SECONDS
 * it deletes the counters that no longer count (no lock in force, last attempt older than
 * LOCKOUT_DURATION_SECONDS), in batches of LOGIN_THROTTLE_PRUNE_BATCH rows, each its own short
 * statement (rows other transactions hold are skipped), until a batch comes back short. Deleting
 * such a row changes no answer: a missing counter and a stale one both start from zero. Several
 * replicas may prune at once. A failed pass is logged; the next one runs on schedule.
 */
@Injectable()
export class LoginThrottleRetention implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly log = new Logger('LoginThrottleRetention');
  private timer?: NodeJS.Timeout;
  private pass?: Promise<number>;
  private stopped = true;
  /** Set by stop(): a pass in progress ends after its current batch. */
  private stopping = false;

  constructor(
    private readonly orm: MikroORM,
    private readonly accounts: AccountRepository,
    @Inject(CONFIG) private readonly config: AuthServiceConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.stop();
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.stopping = false;
    this.schedule();
  }

  /** Stops the timer; a pass in progress ends after its current batch and is awaited. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.pass?.catch(() => undefined);
  }

  /** One pass: deletes every expired counter, batch by batch. Returns how many went. */
  pruneOnce(): Promise<number> {
    this.pass = this.prune();
    return this.pass;
  }

  private async prune(): Promise<number> {
    const batch = this.config.LOGIN_THROTTLE_PRUNE_BATCH;
    let total = 0;
    for (;;) {
      const n = await this.accounts.pruneLoginThrottles(freshEm(this.orm), this.config.LOCKOUT_DURATION_SECONDS, batch);
      total += n;
      if (n < batch || this.stopping) break;
    }
    if (total) this.log.log({ msg: 'expired login throttles deleted', rows: total });
    return total;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.pruneOnce()
        .catch((err) => this.log.warn({ msg: 'login throttle pruning failed; the next pass retries', err: (err as Error).message }))
        .finally(() => this.schedule());
    }, this.config.LOGIN_THROTTLE_PRUNE_INTERVAL_SECONDS * 1000);
    this.timer.unref();
  }
}
