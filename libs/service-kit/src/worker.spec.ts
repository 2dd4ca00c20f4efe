import { UnrecoverableError } from 'bullmq';
import { IsUUID } from 'class-validator';
import { JobName, Queues, SendEmailJob } from '@tally/contracts';
import { currentContext } from '@tally/observability';
import { JobDispatcher, JobLike, JobProcessor, TypedJob, cachedCheck, isFinalFailure } from './worker';

class Data implements SendEmailJob {
  @IsUUID() notificationId!: string;
}

class RecordingJob extends JobProcessor<JobName.SendEmail, string> {
  readonly name = JobName.SendEmail;
  protected readonly dataClass = Data;
  readonly seen: { data: unknown; correlationId?: string }[] = [];
  readonly failures: string[] = [];

  async process(job: TypedJob<JobName.SendEmail>): Promise<string> {
    this.seen.push({ data: job.data, correlationId: currentContext()?.correlationId });
    return job.data.notificationId;
  }

  override async onFailed(job: TypedJob<JobName.SendEmail>, err: Error): Promise<void> {
    this.failures.push(`${job.data.notificationId}: ${err.message}`);
  }
}

const ID = '0b7f5a52-8c9e-4f3e-9a51-3c1d2e4f5a6b';
const job = (over: Partial<JobLike> = {}): JobLike => ({ id: '1', name: JobName.SendEmail, data: { notificationId: ID }, attemptsMade: 0, opts: { attempts: 3 }, ...over });

describe('JobDispatcher', () => {
  it('runs a job by name with validated data, in a correlation context', async () => {
    const j = new RecordingJob();
    const d = new JobDispatcher([j]);
    expect(d.queues).toEqual([Queues.emailDelivery]);
    await expect(d.run(Queues.emailDelivery, job({ data: { notificationId: ID, correlationId: 'c-1' } }))).rejects.toThrow('property correlationId should not exist');
    await expect(d.run(Queues.emailDelivery, job())).resolves.toBe(ID);
    expect(j.seen).toEqual([{ data: { notificationId: ID }, correlationId: expect.any(String) }]);
  });

  it('fails unknown names and malformed data for good', async () => {
    const d = new JobDispatcher([new RecordingJob()]);
    await expect(d.run(Queues.emailDelivery, job({ name: 'nope' }))).rejects.toBeInstanceOf(UnrecoverableError);
    await expect(d.run(Queues.emailDelivery, job({ data: null }))).rejects.toBeInstanceOf(UnrecoverableError);
    await expect(d.run(Queues.emailDelivery, job({ data: { notificationId: 'x' } }))).rejects.toThrow(/invalid send-email job: notificationId must be a UUID/);
    await expect(d.run('other-queue' as never, job())).rejects.toBeInstanceOf(UnrecoverableError);
  });

  it('calls onFailed once a job will not run again, with its data', async () => {
    const j = new RecordingJob();
    const d = new JobDispatcher([j]);
    expect(await d.failed(Queues.emailDelivery, job({ attemptsMade: 1 }), new Error('retry me'))).toBe(false);
    expect(await d.failed(Queues.emailDelivery, job({ attemptsMade: 3 }), new Error('done'))).toBe(true);
    expect(await d.failed(Queues.emailDelivery, job({ attemptsMade: 1 }), new UnrecoverableError('bad'))).toBe(true);
    expect(await d.failed(Queues.emailDelivery, job({ attemptsMade: 3, data: {} }), new Error('x'))).toBe(false);
    expect(j.failures).toEqual([`${ID}: done`, `${ID}: bad`]);
  });

  it('refuses two classes for one job name', () => {
    expect(() => new JobDispatcher([new RecordingJob(), new RecordingJob()])).toThrow('two job classes for email-delivery/send-email');
  });
});

describe('isFinalFailure', () => {
  it('is final when attempts are used up or the error is unrecoverable', () => {
    expect(isFinalFailure({ attemptsMade: 1, opts: { attempts: 2 } }, new Error())).toBe(false);
    expect(isFinalFailure({ attemptsMade: 2, opts: { attempts: 2 } }, new Error())).toBe(true);
    expect(isFinalFailure({ attemptsMade: 1, opts: {} }, new Error())).toBe(true);
    expect(isFinalFailure({ attemptsMade: 0, opts: { attempts: 5 } }, new UnrecoverableError('x'))).toBe(true);
  });
});

describe('cachedCheck', () => {
  it('runs a slow check at most once per ttl and remembers its failure', async () => {
    let calls = 0;
    let fail = true;
    const check = cachedCheck(async () => {
      calls++;
      if (fail) throw new Error('smtp down');
    }, 60_000);
    await expect(Promise.all([check(), check()])).rejects.toThrow('smtp down');
    fail = false;
    await expect(check()).rejects.toThrow('smtp down');
    expect(calls).toBe(1);
  });
});
