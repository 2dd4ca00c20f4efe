/**
 * QueueProducer against a real Redis: jobs by explicit id (twice is once), their state, removal and
 * re-adding, and failing within its timeout when Redis cannot be reached (what lets a Kafka handler
 * or a webhook request give up quickly and leave the work to a sweeper or a redelivery).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import pino from 'pino';
import { JobName, JobQueues } from '@tally/contracts';
import { freePort, infraFromEnv } from '@tally/testing';
import { QueueProducer } from './queue-producer';

const infra = infraFromEnv();
const prefix = `it-qp-${randomBytes(4).toString('hex')}`;
const logger = pino({ level: 'silent' });
let producer: QueueProducer;
let queue: Queue;

beforeAll(() => {
  producer = new QueueProducer({ redisUrl: infra.redisUrl, prefix, timeoutMs: 2000, logger, label: 'test queue' });
  queue = new Queue(JobQueues[JobName.DeliverEmail], { connection: { url: infra.redisUrl }, prefix });
});

afterAll(async () => {
  await queue?.obliterate({ force: true }).catch(() => undefined);
  await queue?.close();
  await producer?.close();
});

describe('QueueProducer (Redis)', () => {
  it('adds a job under its id once, however often it is added, on the queue contracts give its name', async () => {
    const id = randomUUID();
    await producer.add(JobName.DeliverEmail, { deliveryId: id }, id, { delay: 60_000 });
    await producer.add(JobName.DeliverEmail, { deliveryId: id }, id, { delay: 60_000 });
    expect(await queue.getJobCountByTypes('delayed')).toBe(1);
    const job = await queue.getJob(id);
    expect(job?.name).toBe(JobName.DeliverEmail);
    expect(job?.data).toEqual({ deliveryId: id });
    expect(job?.opts.removeOnComplete).toEqual({ age: 24 * 3600, count: 10_000 });
    expect(await producer.inspect(JobName.DeliverEmail, id)).toEqual({ state: 'delayed' });
  });

  it('removes a job so the same id can be added again, and says missing for an unknown one', async () => {
    const id = randomUUID();
    await producer.add(JobName.DeliverEmail, { deliveryId: id }, id, { delay: 60_000 });
    await producer.remove(JobName.DeliverEmail, id);
    expect(await producer.inspect(JobName.DeliverEmail, id)).toEqual({ state: 'missing' });
    await producer.add(JobName.DeliverEmail, { deliveryId: id }, id);
    expect((await producer.inspect(JobName.DeliverEmail, id)).state).toBe('waiting');
    await producer.remove(JobName.DeliverEmail, randomUUID()); // nothing there: nothing to do
  });

  it('fails within its timeout when Redis cannot be reached, instead of waiting for it', async () => {
    const nowhere = new QueueProducer({ redisUrl: `redis://127.0.0.1:${await freePort()}`, prefix, timeoutMs: 500, logger, label: 'test queue' });
    try {
      await expect(nowhere.add(JobName.DeliverEmail, { deliveryId: randomUUID() }, randomUUID())).rejects.toThrow();
      await expect(nowhere.ping()).rejects.toThrow();
    } finally {
      await nowhere.close();
    }
  });
});
