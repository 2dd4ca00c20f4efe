/**
 * DeliveryStore against real PostgreSQL with the service's migrations: the delivery row lock, log
 * rows, and what the notification's is_sent / sent_at / delivery_status say once its deliveries
 * finish, on any channel, including two deliveries finishing at the same moment.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { MikroORM } from '@mikro-orm/postgresql';
import { initOrm, runMigrations } from '@tally/persistence';
import { createTestDatabase, dropTestDatabase, infraFromEnv } from '@tally/testing';
import { entities } from '../entities';
import { migrations } from '../migrations';
import { DeliveryStore } from './delivery-store';

const infra = infraFromEnv();
const dbName = `it_deliveries_${randomBytes(4).toString('hex')}`;
let orm: MikroORM;
let pool: Pool;
let store: DeliveryStore;
const at = new Date('2026-12-06T12:00:00Z');

beforeAll(async () => {
  const url = await createTestDatabase(infra.databaseUrl, dbName);
  orm = await initOrm({ databaseUrl: url, entities, migrations, poolMax: 6 });
  await runMigrations(orm);
  pool = new Pool({ connectionString: url, max: 4 });
  store = new DeliveryStore(orm);
});

afterAll(async () => {
  await orm?.close(true);
  await pool?.end();
  await dropTestDatabase(infra.databaseUrl, dbName);
});

async function notificationWith(channels: ('email' | 'push')[]): Promise<{ notificationId: string; deliveries: string[] }> {
  const notificationId = randomUUID();
  const userId = randomUUID();
  await pool.query(
    `INSERT INTO notifications (id, user_id, notification_type, title, message, recipient) VALUES ($1, $2, 'expense_added', 'Ann added Dinner', 'Ann added Dinner (12.50 EUR).', 'bob@example.com')`,
    [notificationId, userId],
  );
  const deliveries: string[] = [];
  for (const channel of channels) {
    const id = randomUUID();
    await pool.query(
      `INSERT INTO notification_deliveries (id, notification_id, user_id, channel, target, deliver_after) VALUES ($1, $2, $3, $4, $5, now())`,
      [id, notificationId, userId, channel, channel === 'push' ? randomUUID() : ''],
    );
    deliveries.push(id);
  }
  return { notificationId, deliveries };
}

const notificationRow = async (id: string) =>
  (await pool.query(`SELECT is_sent, sent_at, delivery_status, delivery_attempts, last_error FROM notifications WHERE id = $1`, [id])).rows[0];
const deliveryRow = async (id: string) => (await pool.query(`SELECT status, attempts, last_error, sent_at FROM notification_deliveries WHERE id = $1`, [id])).rows[0];
const logs = async (id: string) =>
  (await pool.query(`SELECT delivery_method, status, recipient, external_id, retry_count, error_message, metadata FROM notification_logs WHERE notification_id = $1 ORDER BY created_at`, [id])).rows;

describe('DeliveryStore (PostgreSQL)', () => {
  it('marks an email delivery sent with a log row, and the notification sent at its first delivery only', async () => {
    const { notificationId, deliveries: [email, push] } = await notificationWith(['email', 'push']);
    await store.withLocked(email, async (row, unit) => {
      expect(row!.delivery).toMatchObject({ id: email, channel: 'email', status: 'scheduled', attempts: 0 });
      expect(row!.notification!.title).toBe('Ann added Dinner');
      await unit.markSent(row!.delivery, { externalId: '<m1@tally.local>', recipient: 'bob@example.com', attempt: 1, at });
    });
    const later = new Date(at.getTime() + 60_000);
    await store.withLocked(push, (row, unit) => unit.markSent(row!.delivery, { recipient: 'device', attempt: 2, at: later }));

    expect(await deliveryRow(email)).toMatchObject({ status: 'sent', attempts: 1, sent_at: at });
    expect(await notificationRow(notificationId)).toMatchObject({ is_sent: true, sent_at: at, delivery_status: 'sent', delivery_attempts: 2 });
    expect(await logs(notificationId)).toEqual([
      expect.objectContaining({ delivery_method: 'email', status: 'sent', recipient: 'bob@example.com', external_id: '<m1@tally.local>', retry_count: 0 }),
      expect.objectContaining({ delivery_method: 'push', status: 'sent', recipient: 'device', retry_count: 1 }),
    ]);
  });

  it('keeps a failed attempt scheduled for the retry, then dead-letters it once (idempotent)', async () => {
    const { notificationId, deliveries: [email] } = await notificationWith(['email']);
    await store.withLocked(email, (row, unit) => unit.recordFailure(row!.delivery, { error: 'connect ECONNREFUSED', recipient: 'bob@example.com', attempt: 1, at }));
    expect(await deliveryRow(email)).toMatchObject({ status: 'scheduled', attempts: 1, last_error: 'connect ECONNREFUSED' });
    expect(await notificationRow(notificationId)).toMatchObject({ is_sent: false, delivery_status: 'pending', delivery_attempts: 1, last_error: 'connect ECONNREFUSED' });

    expect(await store.deadLetter(email, { error: 'connect ECONNREFUSED', attempts: 5, jobId: email, at })).toBe(true);
    expect(await store.deadLetter(email, { error: 'connect ECONNREFUSED', attempts: 5, jobId: email, at })).toBe(false);
    expect(await store.deadLetter(randomUUID(), { error: 'x', attempts: 1, at })).toBe(false);
    expect(await deliveryRow(email)).toMatchObject({ status: 'failed' });
    expect(await notificationRow(notificationId)).toMatchObject({ is_sent: false, delivery_status: 'failed' });
    expect((await logs(notificationId)).map((l) => [l.status, l.retry_count])).toEqual([['failed', 0], ['dead_lettered', 4]]);
    expect((await logs(notificationId))[1].metadata).toMatchObject({ attempts: 5, jobId: email, deliveryId: email });
  });

  it('says cancelled when every delivery was skipped, and leaves it pending while one is still scheduled', async () => {
    const { notificationId, deliveries: [a, b] } = await notificationWith(['email', 'push']);
    await store.withLocked(a, (row, unit) => unit.skip(row!.delivery, { reason: 'type_disabled', at }));
    expect(await notificationRow(notificationId)).toMatchObject({ delivery_status: 'pending' });
    await store.withLocked(b, (row, unit) => unit.skip(row!.delivery, { reason: 'device_gone', at }));
    expect(await notificationRow(notificationId)).toMatchObject({ is_sent: false, delivery_status: 'cancelled' });
    expect((await logs(notificationId)).map((l) => [l.status, l.metadata.reason])).toEqual([['skipped', 'type_disabled'], ['skipped', 'device_gone']]);
  });

  it('settles the notification when its last two deliveries finish at the same moment', async () => {
    for (let i = 0; i < 5; i++) {
      const { notificationId, deliveries: [a, b] } = await notificationWith(['push', 'push']);
      // Both hold their delivery lock before either finishes; neither may think the other still scheduled.
      await Promise.all([
        store.withLocked(a, async (row, unit) => {
          await new Promise((r) => setTimeout(r, 20));
          await unit.fail(row!.delivery, { error: 'gone', recipient: 'device', attempt: 1, at, reason: 'gone' });
        }),
        store.withLocked(b, async (row, unit) => {
          await new Promise((r) => setTimeout(r, 20));
          await unit.skip(row!.delivery, { reason: 'device_inactive', at });
        }),
      ]);
      expect(await notificationRow(notificationId)).toMatchObject({ is_sent: false, delivery_status: 'failed', delivery_attempts: 1 });
    }
  });

  it('runs one job of a delivery at a time (the row lock)', async () => {
    const { deliveries: [id] } = await notificationWith(['push']);
    const seen: string[] = [];
    await Promise.all([0, 1].map(() => store.withLocked(id, async (row, unit) => {
      seen.push(row!.delivery.status);
      if (row!.delivery.status === 'scheduled') await unit.markSent(row!.delivery, { recipient: 'device', attempt: 1, at });
    })));
    expect(seen).toEqual(['scheduled', 'sent']);
  });

  it('gives null for an unknown delivery', async () => {
    await expect(store.withLocked(randomUUID(), async (row) => row)).resolves.toBeNull();
  });
});
