import { MikroORM } from '@mikro-orm/postgresql';
import { IsOptional, IsString, Matches } from 'class-validator';
import type { Logger } from 'pino';
import { JobName, RemindOverdueSettlementsJob } from '@tally/contracts';
import { OutboxWriter } from '@tally/messaging';
import { inTransaction } from '@tally/persistence';
import { JobProcessor, TypedJob } from '@tally/service-kit';
import { SettlementEvents } from './settlement.events';
import { SettlementRepository } from './settlement.repository';

/**
 * Pending settlements past their due date get one reminder: each is marked `reminded_at` and its
 * settlement.overdue published in the same transaction, in batches (idx_settlement_pending). A second
 * run finds nothing; rows being changed at that moment are skipped (SKIP LOCKED) and taken next time.
 */
export class OverdueSettlementReminders {
  constructor(
    private readonly orm: MikroORM,
    private readonly settlements: SettlementRepository,
    private readonly outbox: OutboxWriter,
    private readonly batch = 200,
    /** At most this many batches per run; the schedule's next run takes the rest. */
    private readonly maxBatches = 50,
  ) {}

  /** How many settlements it reminded about. */
  async run(): Promise<number> {
    let total = 0;
    for (let i = 0; i < this.maxBatches; i++) {
      const n = await inTransaction(this.orm, async (em) => {
        const due = await this.settlements.markOverdueReminded(em, this.batch);
        for (const s of due) await this.outbox.append(em, SettlementEvents.overdue(s));
        return due.length;
      });
      total += n;
      if (n < this.batch) break;
    }
    return total;
  }
}

export class RemindOverdueSettlementsJobData implements RemindOverdueSettlementsJob {
  @IsOptional() @IsString() @Matches(/^[A-Za-z0-9._:-]{1,100}$/)
  correlationId?: string;
}

/** `remind-overdue-settlements` (queue `settlement-reminders`): one sweep of overdue settlements. Scheduled by payment-worker. */
export class RemindOverdueSettlementsJobProcessor extends JobProcessor<JobName.RemindOverdueSettlements, { reminded: number }> {
  readonly name = JobName.RemindOverdueSettlements;
  protected readonly dataClass = RemindOverdueSettlementsJobData;

  constructor(private readonly reminders: Pick<OverdueSettlementReminders, 'run'>, private readonly logger: Logger) {
    super();
  }

  async process(_job: TypedJob<JobName.RemindOverdueSettlements>): Promise<{ reminded: number }> {
    const reminded = await this.reminders.run();
    if (reminded) this.logger.info({ reminded }, 'overdue settlement reminders published');
    return { reminded };
  }
}
