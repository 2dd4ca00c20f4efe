import { IsOptional, IsString, Matches } from 'class-validator';
import type { Logger } from 'pino';
import { ExpireInvitationsJob, JobName } from '@tally/contracts';
import { JobProcessor, TypedJob } from '@tally/service-kit';
import type { InvitationExpiry } from './invitation-expiry';

export class ExpireInvitationsJobData implements ExpireInvitationsJob {
  @IsOptional() @IsString() @Matches(/^[A-Za-z0-9._:-]{1,100}$/)
  correlationId?: string;
}

/** `expire-invitations` (queue `group-invitations`): one sweep of overdue invitations. Scheduled by group-worker. */
export class ExpireInvitationsJobProcessor extends JobProcessor<JobName.ExpireInvitations, { expired: number }> {
  readonly name = JobName.ExpireInvitations;
  protected readonly dataClass = ExpireInvitationsJobData;

  constructor(private readonly expiry: Pick<InvitationExpiry, 'run'>, private readonly logger: Logger) {
    super();
  }

  async process(_job: TypedJob<JobName.ExpireInvitations>): Promise<{ expired: number }> {
    const expired = await this.expiry.run();
    if (expired) this.logger.info({ expired }, 'invitations expired');
    return { expired };
  }
}
