import { IsOptional, IsString, Matches } from 'class-validator';
import type { Logger } from 'pino';
import { GenerateRecurringExpensesJob, JobName } from '@tally/contracts';
import { JobProcessor, TypedJob } from '@tally/service-kit';
import type { GenerationResult, RecurringExpenseGenerator } from './recurring-expense-generator';

export class GenerateRecurringExpensesJobData implements GenerateRecurringExpensesJob {
  @IsOptional() @IsString() @Matches(/^[A-Za-z0-9._:-]{1,100}$/)
  correlationId?: string;
}

/** `generate-recurring-expenses` (queue `recurring-expenses`): one sweep of due recurring expenses. Scheduled by expense-worker. */
export class GenerateRecurringExpensesJobProcessor extends JobProcessor<JobName.GenerateRecurringExpenses, GenerationResult> {
  readonly name = JobName.GenerateRecurringExpenses;
  protected readonly dataClass = GenerateRecurringExpensesJobData;

  constructor(private readonly generator: Pick<RecurringExpenseGenerator, 'run'>, private readonly logger: Logger) {
    super();
  }

  async process(_job: TypedJob<JobName.GenerateRecurringExpenses>): Promise<GenerationResult> {
    const result = await this.generator.run();
    if (result.generated || result.deactivated) this.logger.info(result, 'recurring expenses generated');
    return result;
  }
}
