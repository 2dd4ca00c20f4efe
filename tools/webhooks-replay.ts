/**
 * `npm run webhooks:replay -- <webhook-id>... | --all-failed`
 *
 * Queues stored provider webhooks (payment-service's `payment_webhooks`) again for payment-worker,
 * exactly as an admin's `POST /api/v1/payment-webhooks/:id/replay` does: a failed one (or one stored
 * and never queued) goes back to `received` with a fresh job and all its attempts; a processed or
 * ignored one is refused. `--all-failed` replays every failed one (oldest first, up to 1000).
 *
 * Reads payment-service's settings: DATABASE_URL (default: DATABASE_URL_BASE + /tally_payment, as
 * `npm start` runs it), REDIS_URL, QUEUE_PREFIX, PAYMENT_WEBHOOK_ATTEMPTS, PAYMENT_WEBHOOK_BACKOFF_MS.
 */
import { IsInt, Matches, Max, Min } from 'class-validator';
import { DatabaseConfig, loadConfig } from '@tally/config';
import { createLogger } from '@tally/observability';
import { freshEm, initOrm } from '@tally/persistence';
import { entities } from '../apps/payment-service/src/entities';
import { PaymentProviders } from '../apps/payment-service/src/providers/payment-provider';
import { PaymentWebhookQueue } from '../apps/payment-service/src/webhooks/payment-webhook-queue';
import { PaymentWebhookRepository } from '../apps/payment-service/src/webhooks/payment-webhook.repository';
import { PaymentWebhookService } from '../apps/payment-service/src/webhooks/payment-webhook.service';

const { localEnv } = require('./services') as { localEnv: (name: string) => Record<string, string> };

class ReplayConfig extends DatabaseConfig {
  override PORT: number = 3004;

  @Matches(/^rediss?:\/\//, { message: 'REDIS_URL must be a redis:// URL' })
  REDIS_URL!: string;

  @Matches(/^[A-Za-z0-9_-]{1,40}$/)
  QUEUE_PREFIX: string = 'tally';

  @IsInt() @Min(1) @Max(30)
  PAYMENT_WEBHOOK_ATTEMPTS: number = 8;

  @IsInt() @Min(100) @Max(600_000)
  PAYMENT_WEBHOOK_BACKOFF_MS: number = 1000;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function usage(): never {
  console.error('usage: npm run webhooks:replay -- <webhook-id>... | --all-failed');
  process.exit(2);
}

async function main() {
  const args = process.argv.slice(2);
  const allFailed = args.includes('--all-failed');
  const ids = args.filter((a) => a !== '--all-failed');
  if ((!allFailed && ids.length === 0) || ids.some((id) => !UUID.test(id))) usage();

  const config = loadConfig(ReplayConfig, { ...localEnv('payment-service'), ...process.env });
  const logger = createLogger('webhooks-replay', 'warn');
  const orm = await initOrm({ databaseUrl: config.DATABASE_URL, entities, migrations: [], poolMax: 2 });
  const queue = new PaymentWebhookQueue({
    redisUrl: config.REDIS_URL, prefix: config.QUEUE_PREFIX, attempts: config.PAYMENT_WEBHOOK_ATTEMPTS,
    backoffMs: config.PAYMENT_WEBHOOK_BACKOFF_MS, timeoutMs: 5000, logger,
  });
  const repo = new PaymentWebhookRepository();
  // Replaying needs no provider: the stored body was verified when it arrived.
  const service = new PaymentWebhookService(orm, repo, new PaymentProviders([], 'sandbox'), queue);
  let failures = 0;
  try {
    const targets = allFailed ? (await repo.list(freshEm(orm), { status: 'failed', take: 1000 })).map((w) => w.id).reverse() : ids;
    if (!targets.length) console.log('no failed webhooks');
    for (const id of targets) {
      try {
        const w = await service.requeue(id.toLowerCase());
        console.log(`replayed ${w.id} (${w.provider} ${w.eventType} ${w.eventId}): ${w.status}, ${w.retryCount} earlier attempt(s)`);
      } catch (err) {
        failures++;
        console.error(`${id}: ${(err as Error).message}`);
      }
    }
  } finally {
    await queue.close();
    await orm.close(true);
  }
  process.exit(failures ? 1 : 0);
}

main().catch((err) => {
  console.error(`webhooks replay failed: ${(err as Error).message}`);
  process.exit(1);
});
