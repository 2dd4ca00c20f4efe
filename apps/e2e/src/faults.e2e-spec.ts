import { EventHeaders } from '@tally/contracts';
import { SmtpCatcher, TallySystem, expectEventually, kafkaControl, sleep } from '@tally/testing';
import { call, newUser, startSystem, query } from './support';

describe('faults: nothing is lost, nothing is doubled', () => {
  let system: TallySystem;
  let smtp: SmtpCatcher;
  let gw: string;

  beforeAll(async () => {
    ({ system, smtp } = await startSystem({
      'notification-service': { EMAIL_SWEEP_INTERVAL_MS: '2000', EMAIL_SWEEP_GRACE_MS: '3000' },
    }));
    gw = system.gatewayUrl;
  });

  afterAll(async () => {
    await system?.stop();
    await smtp?.stop();
  });

  it('registers with the broker down, and the email arrives once the broker is back', async () => {
    const kafka = kafkaControl();
    const u = newUser('outage', system.runId);
    await kafka.stopKafka();
    try {
      const started = Date.now();
      const res = await call(gw, 'POST', '/api/v1/auth/register', { body: u });
      expect(res.status).toBe(202);
      expect(Date.now() - started).toBeLessThan(10000);
      // The events wait in the outbox.
      await sleep(2000);
      const waiting = await query(system.databaseUrl('auth'), `SELECT type FROM outbox WHERE key = (SELECT id::text FROM users WHERE username = $1) AND sent_at IS NULL ORDER BY seq`, [u.username]);
      expect(waiting.map((r) => r.type)).toEqual(['user.registered', 'email_verification.requested']);
      expect(smtp.to(u.email)).toHaveLength(0);
    } finally {
      await kafka.startKafka();
    }
    await smtp.waitFor(u.email, 150000);
    expect(smtp.to(u.email)).toHaveLength(1);
  });

  it('retries while the SMTP server refuses mail, and delivers once it accepts again', async () => {
    const u = newUser('smtpdown', system.runId);
    smtp.refusing = true;
    try {
      expect((await call(gw, 'POST', '/api/v1/auth/register', { body: u })).status).toBe(202);
      // The worker tries, is refused (451), and records each failed attempt.
      await expectEventually(async () => {
        const [row] = await query(system.databaseUrl('notification'),
          `SELECT count(*)::int AS failures FROM notification_logs l JOIN notifications n ON n.id = l.notification_id WHERE n.recipient = $1 AND l.status = 'failed'`, [u.email]);
        expect(row.failures).toBeGreaterThanOrEqual(1);
      }, { timeoutMs: 60000, what: 'a refused delivery attempt' });
      expect(smtp.to(u.email)).toHaveLength(0);
    } finally {
      smtp.refusing = false;
    }
    await smtp.waitFor(u.email, 90000);
    await sleep(1000);
    expect(smtp.to(u.email)).toHaveLength(1);
    const [n] = await query(system.databaseUrl('notification'), `SELECT delivery_status, is_sent FROM notifications WHERE recipient = $1`, [u.email]);
    expect(n).toEqual({ delivery_status: 'sent', is_sent: true });
  });

  it('sends one email when the same event is delivered twice', async () => {
    const u = newUser('twice', system.runId);
    const res = await call(gw, 'POST', '/api/v1/auth/register', { body: u });
    expect(res.status).toBe(202);
    await smtp.waitFor(u.email, 60000);
    const [{ id: userId }] = await query(system.databaseUrl('auth'), 'SELECT id::text FROM users WHERE username = $1', [u.username]);

    // Deliver the very same event again, as Kafka would after a lost commit.
    const [row] = await query(system.databaseUrl('auth'), `SELECT payload, headers FROM outbox WHERE key = $1 AND type = 'email_verification.requested'`, [userId]);
    const producer = system.kafka().producer();
    await producer.connect();
    try {
      const topic = `${system.topicPrefix}auth.email-verification.v1`;
      await producer.send({ topic, messages: [{ key: userId, value: JSON.stringify(row.payload), headers: row.headers }] });
      // Then a marker on the same key (same partition, so handled after the duplicate).
      const marker = { ...row.payload, id: crypto.randomUUID(), data: { ...row.payload.data, email: `marker-${u.email}` } };
      await producer.send({ topic, messages: [{ key: userId, value: JSON.stringify(marker), headers: { ...row.headers, [EventHeaders.eventId]: marker.id } }] });
    } finally {
      await producer.disconnect();
    }
    await smtp.waitFor(`marker-${u.email}`, 60000);
    await sleep(1500);
    expect(smtp.to(u.email)).toHaveLength(1);
    const inbox = await query(system.databaseUrl('notification'), `SELECT count(*)::int AS n FROM inbox WHERE event_id = $1`, [row.payload.id]);
    expect(inbox[0].n).toBe(1);
  });

  it('loses nothing when the consumer is killed mid-stream and restarted', async () => {
    const users = Array.from({ length: 20 }, (_, i) => newUser(`crash${i}`, system.runId));
    // Register the first few, wait for some mail, then crash the consumer while the rest arrive.
    for (const u of users.slice(0, 5)) expect((await call(gw, 'POST', '/api/v1/auth/register', { body: u })).status).toBe(202);
    await smtp.waitFor(users[0].email, 60000);
    const registering = (async () => {
      for (const u of users.slice(5)) expect((await call(gw, 'POST', '/api/v1/auth/register', { body: u })).status).toBe(202);
    })();
    await sleep(300);
    await system.killApp('notification-service');
    const mailedBeforeCrash = users.filter((u) => smtp.to(u.email).length > 0).length;
    await registering;
    // The crash really was mid-stream: work was still to come.
    expect(mailedBeforeCrash).toBeLessThan(users.length);
    await system.startApp('notification-service');

    await expectEventually(() => {
      const missing = users.filter((u) => smtp.to(u.email).length === 0).map((u) => u.email);
      expect(missing).toEqual([]);
    }, { timeoutMs: 150000, intervalMs: 500, what: 'every verification email' });
    await sleep(2000);
    for (const u of users) expect(smtp.to(u.email)).toHaveLength(1);
  });
});
