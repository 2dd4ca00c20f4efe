import pino from 'pino';
import { DeliverySweeper, SweepQueue, SweepSource } from './delivery.sweeper';
import type { EmailJobState } from './email-queue';

const now = new Date('2026-11-22T12:00:00Z');

function setup(pending: { id: string; correlationId?: string }[], jobs: Record<string, { state: EmailJobState; finishedOn?: number }>) {
  const calls: string[] = [];
  const source: SweepSource = {
    findPendingDeliveries: async (before, limit) => {
      calls.push(`find<${before.toISOString()},${limit}`);
      return pending;
    },
    expireOverdue: async () => 0,
  };
  const queue: SweepQueue = {
    inspect: async (id) => jobs[id] ?? { state: 'missing' },
    enqueue: async (j) => void calls.push(`enqueue ${j.notificationId} ${j.correlationId ?? '-'}`),
    remove: async (id) => void calls.push(`remove ${id}`),
  };
  const sweeper = new DeliverySweeper(source, queue, { intervalMs: 10_000, graceMs: 30_000, batchSize: 50, logger: pino({ level: 'silent' }), clock: () => now });
  return { sweeper, calls };
}

describe('DeliverySweeper.sweepOnce', () => {
  it('enqueues pending notifications whose job is missing, keeping their correlation id', async () => {
    const { sweeper, calls } = setup([{ id: 'a', correlationId: 'c-a' }, { id: 'b' }], {});
    await expect(sweeper.sweepOnce()).resolves.toEqual({ expired: 0, enqueued: 2, requeued: 0 });
    expect(calls).toEqual(['find<2026-11-22T11:59:30.000Z,50', 'enqueue a c-a', 'enqueue b -']);
  });

  it('leaves notifications whose job is waiting, delayed (retrying) or running', async () => {
    const { sweeper, calls } = setup([{ id: 'a' }, { id: 'b' }, { id: 'c' }], {
      a: { state: 'waiting' }, b: { state: 'delayed' }, c: { state: 'active' },
    });
    await expect(sweeper.sweepOnce()).resolves.toEqual({ expired: 0, enqueued: 0, requeued: 0 });
    expect(calls.filter((c) => !c.startsWith('find'))).toEqual([]);
  });

  it('replaces a job that finished long ago while its notification is still pending (operator retry)', async () => {
    const { sweeper, calls } = setup([{ id: 'old' }, { id: 'recent' }], {
      old: { state: 'failed', finishedOn: now.getTime() - 60_000 },
      recent: { state: 'failed', finishedOn: now.getTime() - 1_000 },
    });
    await expect(sweeper.sweepOnce()).resolves.toEqual({ expired: 0, enqueued: 0, requeued: 1 });
    expect(calls.filter((c) => !c.startsWith('find'))).toEqual(['remove old', 'enqueue old -']);
  });
});
