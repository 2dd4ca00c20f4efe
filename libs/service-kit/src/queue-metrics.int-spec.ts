/**
 * A worker's /metrics reports its queues' job counts (`queue_jobs{queue, state}`), read from a real
 * Redis at scrape time: a worker started with `startWorker` (real PostgreSQL for its ORM, real
 * BullMQ), jobs put in known states, and the numbers read back over HTTP as Prometheus scrapes them.
 */
import { randomBytes } from 'node:crypto';
import { Queue } from 'bullmq';
import { IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';
import { Entity, PrimaryKey } from '@mikro-orm/core';
import { DatabaseConfig } from '@tally/config';
import { JobName, Queues } from '@tally/contracts';
import { createTestDatabase, dropTestDatabase, expectEventually, freePort, infraFromEnv } from '@tally/testing';
import { JobProcessor, RunningWorker, TypedJob, WorkerConfig, startWorker } from './worker';
import { Registry } from 'prom-client';
import { registerQueueMetrics } from './queue-metrics';

const infra = infraFromEnv();
const run = randomBytes(4).toString('hex');
const dbName = `it_queue_metrics_${run}`;
const prefix = `it-qm-${run}`;

class TestWorkerConfig extends DatabaseConfig implements WorkerConfig {
  @Matches(/^rediss?:\/\//) REDIS_URL!: string;
  @Matches(/^[A-Za-z0-9_-]{1,40}$/) QUEUE_PREFIX: string = 'tally';
  @IsInt() @Min(1) @Max(100) WORKER_CONCURRENCY: number = 1;
}

@Entity({ tableName: 'queue_metrics_nothing' })
class Nothing {
  @PrimaryKey({ type: 'integer' }) id!: number;
}

class ExpireData {
  @IsOptional() @IsString() correlationId?: string;
}
/** Fails every run, without retries: each job added ends `failed`. */
class FailingExpireInvitations extends JobProcessor<JobName.ExpireInvitations> {
  readonly name = JobName.ExpireInvitations;
  protected readonly dataClass = ExpireData;
  async process(_job: TypedJob<JobName.ExpireInvitations>): Promise<never> {
    throw new Error('nothing to expire here');
  }
}

let worker: RunningWorker<TestWorkerConfig>;
let port: number;
let queue: Queue;

beforeAll(async () => {
  const databaseUrl = await createTestDatabase(infra.databaseUrl, dbName);
  port = await freePort();
  worker = await startWorker({ service: 'group-worker', config: TestWorkerConfig, entities: [Nothing], migrations: [], jobs: () => [new FailingExpireInvitations()] }, {
    NODE_ENV: 'test', LOG_LEVEL: 'error', PORT: String(port), DATABASE_URL: databaseUrl, DATABASE_POOL_MAX: '2', REDIS_URL: infra.redisUrl, QUEUE_PREFIX: prefix,
  });
  queue = new Queue(Queues.groupInvitations, { connection: { url: infra.redisUrl }, prefix });
});

afterAll(async () => {
  await worker?.stop();
  await queue?.obliterate({ force: true }).catch(() => undefined);
  await queue?.close();
  await dropTestDatabase(infra.databaseUrl, dbName);
});

const scrape = async () => (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
const sample = (text: string, queueName: string, state: string) => {
  const line = text.split('\n').find((l) => l.startsWith('queue_jobs{') && l.includes(`queue="${queueName}"`) && l.includes(`state="${state}"`));
  return line === undefined ? undefined : Number(line.split(' ').pop());
};

it("reports each of the worker's queues by state as of the scrape", async () => {
  const before = await scrape();
  for (const state of ['waiting', 'active', 'delayed', 'failed', 'completed']) expect(sample(before, Queues.groupInvitations, state)).toBe(0);
  expect(sample(before, Queues.emailDelivery, 'waiting')).toBeUndefined(); // not this worker's queue

  await queue.add(JobName.ExpireInvitations, {}, { delay: 3600_000, jobId: `later-${run}` });
  await queue.add(JobName.ExpireInvitations, {}, { attempts: 1, jobId: `fails-1-${run}` });
  await queue.add(JobName.ExpireInvitations, {}, { attempts: 1, jobId: `fails-2-${run}` });
  await expectEventually(async () => expect(sample(await scrape(), Queues.groupInvitations, 'failed')).toBe(2));
  const after = await scrape();
  expect(sample(after, Queues.groupInvitations, 'delayed')).toBe(1);
  expect(sample(after, Queues.groupInvitations, 'waiting')).toBe(0);
  expect(after).toMatch(new RegExp(`queue_metrics_up\\{queue="${Queues.groupInvitations}"[^}]*\\} 1`));
});

it('leaves out a queue Redis does not answer for in time, and says so', async () => {
  const registry = new Registry();
  const slow = { name: 'slow-queue', getJobCounts: () => new Promise<Record<string, number>>(() => undefined) };
  const fine = { name: 'fine-queue', getJobCounts: async () => ({ waiting: 3, active: 1, delayed: 0, failed: 2, completed: 7 }) };
  registerQueueMetrics(registry, [slow, fine], { timeoutMs: 50 });
  const text = await registry.metrics();
  expect(sample(text, 'fine-queue', 'waiting')).toBe(3);
  expect(sample(text, 'fine-queue', 'completed')).toBe(7);
  expect(sample(text, 'slow-queue', 'waiting')).toBeUndefined();
  expect(text).toContain('queue_metrics_up{queue="slow-queue"} 0');
  expect(text).toContain('queue_metrics_up{queue="fine-queue"} 1');
});
