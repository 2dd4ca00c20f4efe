/**
 * notification_delivery_latency_seconds as the notification-worker's /metrics reports it: the
 * DeliveryStore the worker uses, with the worker's hook on a registry, against real PostgreSQL.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { Registry } from 'prom-client';
import { MikroORM } from '@mikro-orm/postgresql';
import { initOrm, runMigrations } from '@tally/persistence';
import { createTestDatabase, dropTestDatabase, infraFromEnv } from '@tally/testing';
import { DeliveryStore } from '../deliveries/delivery-store';
import { entities } from '../entities';
import { migrations } from '../migrations';
import { deliveryLatencyHooks } from './delivery-latency';

const infra = infraFromEnv();
const dbName = `it_delivery_latency_${randomBytes(4).toString('hex')}`;
let orm: MikroORM;
let pool: Pool;

beforeAll(async () => {
  const url = await createTestDatabase(infra.databaseUrl, dbName);
  orm = await initOrm({ databaseUrl: url, entities, migrations, poolMax: 4 });
  await runMigrations(orm);
  pool = new Pool({ connectionString: url, max: 2 });
});

afterAll(async () => {
  await orm?.close(true);
  await pool?.end();
  await dropTestDatabase(infra.databaseUrl, dbName);
});

/** A notification created at `createdAt` with one delivery on `channel` that may go at `deliverAfter`. */
async function delivery(channel: 'email' | 'push', createdAt: Date, deliverAfter: Date): Promise<string> {
  const notificationId = randomUUID();
  const userId = randomUUID();
  const id = randomUUID();
  await pool.query(`INSERT INTO notifications (id, user_id, notification_type, title, message, created_at) VALUES ($1, $2, 'expense_added', 'Dinner', 'Dinner.', $3)`,
    [notificationId, userId, createdAt]);
  await pool.query(`INSERT INTO notification_deliveries (id, notification_id, user_id, channel, target, deliver_after) VALUES ($1, $2, $3, $4, $5, $6)`,
    [id, notificationId, userId, channel, channel === 'push' ? randomUUID() : '', deliverAfter]);
  return id;
}

async function send(store: DeliveryStore, id: string, at: Date, thenFail = false): Promise<void> {
  await store.withLocked(id, async (row, unit) => {
    await unit.markSent(row!.delivery, { recipient: 'x', attempt: 1, at });
    if (thenFail) throw new Error('rolled back');
  });
}

const line = (text: string, prefix: string) => text.split('\n').find((l) => l.startsWith(prefix));
const value = (text: string, prefix: string) => Number(line(text, prefix)?.split(' ').pop());

it('observes, per channel, the time from when a delivery could go to sent, only once committed', async () => {
  const registry = new Registry();
  const store = new DeliveryStore(orm, deliveryLatencyHooks(registry));
  const t0 = new Date('2026-12-06T12:00:00Z');

  // created at t0 and due at once: sent 4 s later
  await send(store, await delivery('email', t0, t0), new Date(t0.getTime() + 4000));
  // quiet hours until t0 + 8 h: counted from their end, sent 20 s after it
  const quietEnd = new Date(t0.getTime() + 8 * 3600_000);
  await send(store, await delivery('push', t0, quietEnd), new Date(quietEnd.getTime() + 20_000));
  // rolled back: not sent, not counted
  await expect(send(store, await delivery('push', t0, t0), new Date(t0.getTime() + 1000), true)).rejects.toThrow('rolled back');

  const text = await registry.metrics();
  expect(value(text, 'notification_delivery_latency_seconds_count{channel="email"}')).toBe(1);
  expect(value(text, 'notification_delivery_latency_seconds_sum{channel="email"}')).toBe(4);
  expect(value(text, 'notification_delivery_latency_seconds_bucket{le="5",channel="email"}')).toBe(1);
  expect(value(text, 'notification_delivery_latency_seconds_bucket{le="2.5",channel="email"}')).toBe(0);
  expect(value(text, 'notification_delivery_latency_seconds_count{channel="push"}')).toBe(1);
  expect(value(text, 'notification_delivery_latency_seconds_sum{channel="push"}')).toBe(20);
});
