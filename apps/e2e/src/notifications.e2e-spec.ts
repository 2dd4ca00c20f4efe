import { FakeSmsServer, PushEndpoint, SmtpCatcher, TallySystem, expectEventually } from '@tally/testing';
import { ApiResponse, call, expectProblem, query, signUpVerified, startSystem } from './support';

interface Person {
  id: string;
  token: string;
  username: string;
  email: string;
}

interface SseEvent {
  id?: string;
  event?: string;
  data: any;
}

const TRACKING_SECRET = 'e2e-email-tracking-secret-0123456789abcdef';
const G = '/api/v1/groups';
const E = '/api/v1/expenses';
const N = '/api/v1/notifications';

/** An EventSource over fetch: reads `text/event-stream` frames as they arrive. */
function openStream(base: string, token: string, lastEventId?: string): { events: SseEvent[]; status: Promise<number>; close(): void } {
  const abort = new AbortController();
  const events: SseEvent[] = [];
  const status = fetch(`${base}${N}/stream`, {
    headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream', ...(lastEventId ? { 'last-event-id': lastEventId } : {}) },
    signal: abort.signal,
  }).then((res) => {
    void (async () => {
      const decoder = new TextDecoder();
      let buf = '';
      try {
        for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
          buf += decoder.decode(chunk, { stream: true });
          let end: number;
          while ((end = buf.indexOf('\n\n')) >= 0) {
            const frame = buf.slice(0, end);
            buf = buf.slice(end + 2);
            const e: SseEvent = { data: undefined };
            const data: string[] = [];
            for (const line of frame.split('\n')) {
              if (line.startsWith('id: ')) e.id = line.slice(4);
              else if (line.startsWith('event: ')) e.event = line.slice(7);
              else if (line.startsWith('data: ')) data.push(line.slice(6));
            }
            if (data.length) {
              e.data = JSON.parse(data.join('\n'));
              events.push(e);
            }
          }
        }
      } catch {
        // aborted
      }
    })();
    return res.status;
  });
  return { events, status, close: () => abort.abort() };
}

/**
 * Notifications end to end through the gateway: a group expense added by one member reaches the two
 * others in-app (on the live stream and in the inbox), by email (the test's SMTP server) and by web
 * push (the test's push endpoint, which verifies VAPID and decrypts the payload), never the one who
 * added it. Then who may read what, and the faults: SMTP down and back, a push subscription gone,
 * the worker killed with deliveries in flight: nothing lost, nothing twice.
 */
describe('notifications through the gateway', () => {
  let system: TallySystem;
  let smtp: SmtpCatcher;
  let push: PushEndpoint;
  /** The fake Twilio: SMS go there, and it posts signed status callbacks back through the gateway. */
  let sms: FakeSmsServer;
  let gw: string;
  const p: Record<string, Person> = {};
  const subs: Record<string, { id: string; deviceId: string }> = {};
  let group: { id: string; inviteCode: string };

  const as = (who: Person) => ({
    get: (path: string) => call(gw, 'GET', path, { token: who.token }),
    post: (path: string, body?: unknown) => call(gw, 'POST', path, { token: who.token, body }),
    delete: (path: string) => call(gw, 'DELETE', path, { token: who.token }),
  });
  const notificationDb = () => system.databaseUrl('notification');

  async function addExpense(who: Person, title: string): Promise<ApiResponse> {
    let res!: ApiResponse;
    await expectEventually(async () => {
      res = await as(who).post(E, { title, amount: '30.00', groupId: group.id, split: { type: 'equal', userIds: [p.ann.id, p.bob.id, p.cat.id] } });
      if (res.status === 404 || (res.status === 422 && res.body?.code === 'NOT_A_PARTICIPANT')) throw new Error(`projection not there yet: ${res.status}`);
    }, { timeoutMs: 30_000, intervalMs: 200 });
    expect(res.status).toBe(201);
    return res;
  }

  const mailsAbout = (who: Person, title: string) => smtp.to(who.email).filter((m) => m.subject.includes(title));
  const pushesAbout = (who: Person, title: string) => push.for(subs[who.username].id).filter((m) => JSON.stringify(m.payload).includes(title));

  beforeAll(async () => {
    push = new PushEndpoint();
    await push.start();
    sms = await new FakeSmsServer().start();
    const twilio = { TWILIO_ACCOUNT_SID: sms.accountSid, TWILIO_AUTH_TOKEN: sms.authToken, TWILIO_FROM: sms.from, TWILIO_API_BASE: sms.baseUrl };
    ({ system, smtp } = await startSystem({
      'notification-worker': { EMAIL_JOB_BACKOFF_MS: '300', WORKER_LOCK_MS: '5000', EMAIL_TRACKING_SECRET: TRACKING_SECRET, ...twilio },
      'notification-service': {
        EMAIL_JOB_BACKOFF_MS: '300', EMAIL_SWEEP_INTERVAL_MS: '2000', EMAIL_SWEEP_GRACE_MS: '3000', EMAIL_TRACKING_SECRET: TRACKING_SECRET, TWILIO_AUTH_TOKEN: sms.authToken,
      },
    }));
    gw = system.gatewayUrl;
    const names = ['ann', 'bob', 'cat', 'out'];
    const people = await Promise.all(names.map((n) => signUpVerified(system, smtp, `n${n}`)));
    names.forEach((n, i) => (p[n] = people[i]));
    await expectEventually(async () => {
      const res = await as(p.ann).post(G, { name: 'Lisbon', currency: 'EUR' });
      expect(res.status).toBe(201);
      group = res.body;
    }, { timeoutMs: 30_000 });
    for (const n of ['bob', 'cat']) {
      await expectEventually(async () => expect((await as(p[n]).post(`${G}/join`, { inviteCode: group.inviteCode })).status).toBe(200), { timeoutMs: 30_000 });
    }
    // bob and cat allow web push in their browsers and register the subscription as a web device.
    for (const n of ['bob', 'cat']) {
      const sub = push.subscribe();
      const res = await as(p[n]).post('/api/v1/devices', { deviceType: 'web', deviceName: 'Firefox', deviceToken: JSON.stringify({ endpoint: sub.endpoint, expirationTime: null, keys: sub.keys }) });
      expect(res.status).toBeLessThan(300);
      subs[p[n].username] = { id: sub.id, deviceId: res.body.id };
    }
    await expectEventually(async () => {
      const rows = await query(notificationDb(), `SELECT count(*)::int AS n FROM push_devices WHERE is_active AND user_id = ANY($1)`, [[p.bob.id, p.cat.id]]);
      expect(rows[0].n).toBe(2);
    }, { timeoutMs: 30_000, what: 'the push devices projected' });
  }, 240_000);

  afterAll(async () => {
    await system?.stop();
    await smtp?.stop();
    await push?.stop();
    await sms?.stop();
  });

  it('an expense notifies the two others in-app (live), by email and by web push, never the one who added it', async () => {
    const { ann, bob, cat } = p;
    const streams = { bob: openStream(gw, bob.token), cat: openStream(gw, cat.token), ann: openStream(gw, ann.token) };
    try {
      expect(await streams.bob.status).toBe(200);
      expect(await streams.cat.status).toBe(200);
      const expense = (await addExpense(ann, 'Sardines & <wine>')).body;

      for (const who of [bob, cat]) {
        const s = who === bob ? streams.bob : streams.cat;
        const live = await expectEventually(() => {
          const e = s.events.find((x) => x.event === 'notification' && x.data.type === 'expense_added');
          if (!e) throw new Error('no live notification yet');
          return e;
        }, { timeoutMs: 30_000, what: `${who.username}'s live notification` });
        expect(live.data).toMatchObject({ type: 'expense_added', relatedObjectType: 'expense', relatedObjectId: expense.id, isRead: false });
        expect(live.data.title).toContain('Sardines & <wine>');
        expect(live.data.message).toContain('your share is 10.00 EUR');
        expect(live.id).toEqual(expect.any(String));

        const inbox = await as(who).get(N);
        expect(inbox.body.items.map((n: { id: string }) => n.id)).toContain(live.data.id);
        expect((await as(who).get(`${N}/unread-count`)).body.count).toBeGreaterThanOrEqual(1);

        const mail = await expectEventually(() => {
          const m = mailsAbout(who, 'Sardines');
          if (!m.length) throw new Error('no mail yet');
          return m[0];
        }, { timeoutMs: 30_000, what: `${who.username}'s email` });
        expect(mail.text).toContain('your share is 10.00 EUR');
        expect(mail.html).toContain('Sardines &amp; &lt;wine&gt;');

        const [received] = await push.waitFor(subs[who.username].id, 1, 30_000);
        expect(received.payload).toMatchObject({ notificationId: live.data.id });
        expect(JSON.stringify(received.payload)).toContain('Sardines & <wine>');
        expect(received.vapid.aud).toBe(new URL(push.origin).origin);
      }
      // never the actor: nothing in ann's stream, inbox or mailbox about it
      await new Promise((r) => setTimeout(r, 1000));
      expect(streams.ann.events.filter((e) => e.event === 'notification')).toEqual([]);
      expect((await as(ann).get(N)).body.items.filter((n: { type: string }) => n.type === 'expense_added')).toEqual([]);
      expect(mailsAbout(ann, 'Sardines')).toEqual([]);
      // once each
      expect(mailsAbout(bob, 'Sardines')).toHaveLength(1);
      expect(pushesAbout(cat, 'Sardines')).toHaveLength(1);
    } finally {
      Object.values(streams).forEach((s) => s.close());
    }
  });

  it('records an email\'s open and click when the deployment tracks them, and redirects only to the notification\'s own page', async () => {
    const { ann, bob } = p;
    const expense = (await addExpense(ann, 'Tracked tapas')).body;
    const mail = await expectEventually(() => {
      const m = mailsAbout(bob, 'Tracked tapas')[0];
      if (!m) throw new Error('no mail yet');
      return m;
    }, { timeoutMs: 30_000 });
    const pixel = new RegExp(`${gw.replace(/[.]/g, '\\.')}/email/open/[A-Za-z0-9._-]+`).exec(mail.html)?.[0];
    const link = new RegExp(`${gw.replace(/[.]/g, '\\.')}/email/click/[A-Za-z0-9._-]+`).exec(mail.text)?.[0];
    expect(pixel).toBeDefined();
    expect(link).toBeDefined();
    const logOf = async () => (await query(notificationDb(),
      `SELECT l.opened_at, l.clicked_at FROM notification_logs l JOIN notifications n ON n.id = l.notification_id
        WHERE n.user_id = $1 AND n.title LIKE '%Tracked tapas%' AND l.delivery_method = 'email' AND l.status = 'sent'`, [bob.id]))[0];
    expect(await logOf()).toEqual({ opened_at: null, clicked_at: null });

    const opened = await fetch(pixel!);
    expect(opened.status).toBe(200);
    expect(opened.headers.get('content-type')).toBe('image/gif');
    expect((await logOf()).opened_at).not.toBeNull();

    const clicked = await fetch(link!, { redirect: 'manual' });
    expect(clicked.status).toBe(302);
    expect(clicked.headers.get('location')).toBe(`http://localhost:8080/expenses/${expense.id}`);
    const after = await logOf();
    expect(after.clicked_at).not.toBeNull();
    // forged or swapped tokens are not found, and change nothing
    const forged = link!.replace(/\.[A-Za-z0-9_-]+$/, '.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA');
    expectProblem(await call(forged, 'GET', ''), 404);
    expectProblem(await call(pixel!.replace('/open/', '/click/'), 'GET', ''), 404);
  });

  it('a comment notifies the others in the expense, a reply its parent\'s author; never the commenter', async () => {
    const { ann, bob, cat } = p;
    const expense = (await addExpense(ann, 'Boat trip')).body;
    const inbox = async (who: Person, type: string) =>
      ((await as(who).get(`${N}?type=${type}&limit=100`)).body.items as { relatedObjectId: string; actionUrl: string }[]).filter((n) => n.relatedObjectId === expense.id);
    const comment = await as(bob).post(`${E}/${expense.id}/comments`, { comment: 'Was the tip included?' });
    expect(comment.status).toBe(201);
    await expectEventually(async () => {
      expect(await inbox(ann, 'expense_comment')).toHaveLength(1);
      expect(await inbox(cat, 'expense_comment')).toHaveLength(1);
    }, { timeoutMs: 30_000, what: 'comment notifications' });
    expect((await inbox(ann, 'expense_comment'))[0].actionUrl).toBe(`/expenses/${expense.id}`);
    expect(await inbox(bob, 'expense_comment')).toEqual([]);
    expect(await inbox(cat, 'expense_comment')).toHaveLength(1);

    expect((await as(cat).post(`${E}/${expense.id}/comments`, { comment: 'Yes', parentId: comment.body.id })).status).toBe(201);
    await expectEventually(async () => {
      expect(await inbox(bob, 'expense_comment_reply')).toHaveLength(1);
      expect(await inbox(ann, 'expense_comment')).toHaveLength(2);
    }, { timeoutMs: 30_000, what: 'reply notifications' });
    // cat was told of bob's comment, and of nothing about her own reply
    expect(await inbox(cat, 'expense_comment')).toHaveLength(1);
    expect(await inbox(cat, 'expense_comment_reply')).toEqual([]);
  });

  it('resumes the live stream with Last-Event-ID: exactly the missed notifications, once', async () => {
    const { ann, bob } = p;
    const first = openStream(gw, bob.token);
    await addExpense(ann, 'Tram 28');
    const seen = await expectEventually(() => {
      const e = first.events.find((x) => x.data?.title?.includes('Tram 28'));
      if (!e) throw new Error('not yet');
      return e;
    }, { timeoutMs: 30_000 });
    first.close();
    await addExpense(ann, 'Pasteis');
    await addExpense(ann, 'Ferry');
    const resumed = openStream(gw, bob.token, seen.id);
    try {
      await expectEventually(() => {
        const titles = resumed.events.filter((e) => e.event === 'notification').map((e) => e.data.title as string);
        expect(titles.filter((t) => t.includes('Pasteis'))).toHaveLength(1);
        expect(titles.filter((t) => t.includes('Ferry'))).toHaveLength(1);
        expect(titles.filter((t) => t.includes('Tram 28'))).toHaveLength(0);
      }, { timeoutMs: 30_000 });
    } finally {
      resumed.close();
    }
  });

  it('lets only the recipient read, mark or delete a notification; anyone else gets 404', async () => {
    const { bob, cat, out } = p;
    const mine = (await as(bob).get(`${N}?unread=true`)).body.items[0];
    expect(mine).toBeDefined();
    for (const stranger of [cat, out]) {
      expectProblem(await as(stranger).get(`${N}/${mine.id}`), 404, 'NOTIFICATION_NOT_FOUND');
      expectProblem(await as(stranger).post(`${N}/${mine.id}/read`), 404, 'NOTIFICATION_NOT_FOUND');
      expectProblem(await as(stranger).delete(`${N}/${mine.id}`), 404, 'NOTIFICATION_NOT_FOUND');
    }
    expect((await as(bob).get(`${N}/${mine.id}`)).body.isRead).toBe(false);
    const before = (await as(bob).get(`${N}/unread-count`)).body.count;
    const read = await as(bob).post(`${N}/${mine.id}/read`);
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ id: mine.id, isRead: true, readAt: expect.any(String) });
    expect((await as(bob).get(`${N}/unread-count`)).body.count).toBe(before - 1);
    expect((await as(bob).post(`${N}/read-all`)).status).toBe(200);
    expect((await as(bob).get(`${N}/unread-count`)).body.count).toBe(0);
    expect((await as(bob).delete(`${N}/${mine.id}`)).status).toBe(204);
    expectProblem(await as(bob).get(`${N}/${mine.id}`), 404, 'NOTIFICATION_NOT_FOUND');
  });

  it('SMTP down, then back: the email is delivered once, and every failed attempt is in the log', async () => {
    const { ann, bob } = p;
    smtp.refusing = true;
    try {
      await addExpense(ann, 'Refused dinner');
      await expectEventually(async () => {
        const rows = await query(notificationDb(),
          `SELECT count(*)::int AS n FROM notification_logs l JOIN notifications n ON n.id = l.notification_id
            WHERE n.user_id = $1 AND n.title LIKE '%Refused dinner%' AND l.delivery_method = 'email' AND l.status = 'failed'`, [bob.id]);
        expect(rows[0].n).toBeGreaterThanOrEqual(2);
      }, { timeoutMs: 30_000, what: 'failed attempts logged' });
      expect(mailsAbout(bob, 'Refused dinner')).toEqual([]);
    } finally {
      smtp.refusing = false;
    }
    await expectEventually(() => expect(mailsAbout(bob, 'Refused dinner')).toHaveLength(1), { timeoutMs: 60_000, what: 'the email after SMTP came back' });
    await new Promise((r) => setTimeout(r, 2000));
    expect(mailsAbout(bob, 'Refused dinner')).toHaveLength(1);
  });

  it('the worker killed with deliveries in flight: after its restart every email and push went out exactly once', async () => {
    const { ann, bob, cat } = p;
    smtp.refusing = true; // the emails are mid-retry when the worker dies
    const titles = ['Kill one', 'Kill two', 'Kill three'];
    try {
      for (const t of titles) await addExpense(ann, t);
      await expectEventually(() => {
        for (const t of titles) for (const who of [bob, cat]) expect(pushesAbout(who, t)).toHaveLength(1);
      }, { timeoutMs: 30_000, what: 'the pushes' });
      await expectEventually(async () => {
        const rows = await query(notificationDb(),
          `SELECT count(DISTINCT l.notification_id)::int AS n FROM notification_logs l JOIN notifications n ON n.id = l.notification_id
            WHERE n.title LIKE '%Kill %' AND l.delivery_method = 'email' AND l.status = 'failed'`);
        expect(rows[0].n).toBe(6);
      }, { timeoutMs: 30_000, what: 'every email attempted' });
      await system.killApp('notification-worker');
    } finally {
      smtp.refusing = false;
    }
    await system.startApp('notification-worker');
    await expectEventually(() => {
      for (const t of titles) for (const who of [bob, cat]) expect(mailsAbout(who, t)).toHaveLength(1);
    }, { timeoutMs: 90_000, what: 'every email after the restart' });
    await new Promise((r) => setTimeout(r, 3000));
    for (const t of titles) {
      for (const who of [bob, cat]) {
        expect(mailsAbout(who, t)).toHaveLength(1);
        expect(pushesAbout(who, t)).toHaveLength(1);
      }
    }
  }, 180_000);

  it('a push subscription the push service reports gone (410) deactivates the device; the other devices still get theirs', async () => {
    const { ann, bob, cat } = p;
    push.expire(subs[cat.username].id);
    await addExpense(ann, 'Gone push');
    await push.waitFor(subs[bob.username].id, pushesAbout(bob, '').length, 30_000);
    await expectEventually(() => expect(pushesAbout(bob, 'Gone push')).toHaveLength(1), { timeoutMs: 30_000 });
    await expectEventually(async () => {
      const rows = await query(notificationDb(), `SELECT is_active FROM push_devices WHERE device_id = $1`, [subs[cat.username].deviceId]);
      expect(rows).toEqual([{ is_active: false }]);
    }, { timeoutMs: 30_000, what: 'the gone device deactivated' });
    expect(pushesAbout(cat, 'Gone push')).toEqual([]);
    // the next notification plans no push to it at all
    await addExpense(ann, 'After gone');
    await expectEventually(() => expect(mailsAbout(cat, 'After gone')).toHaveLength(1), { timeoutMs: 30_000 });
    const planned = await query(notificationDb(),
      `SELECT d.channel FROM notification_deliveries d JOIN notifications n ON n.id = d.notification_id WHERE n.user_id = $1 AND n.title LIKE '%After gone%' ORDER BY d.channel`, [cat.id]);
    expect(planned.map((r) => r.channel)).toEqual(['email']);
  });

  it('refuses a web device whose push endpoint is not a push service (an SSRF guard): 400, nothing registered', async () => {
    const { out } = p;
    const { keys } = push.subscribe();
    const before = (await as(out).get('/api/v1/devices')).body.total;
    for (const endpoint of ['https://10.0.0.5/push/x', 'https://169.254.169.254/latest/meta-data/x', 'http://localhost:9/push/x']) {
      const res = await as(out).post('/api/v1/devices', { deviceType: 'web', deviceName: 'Evil', deviceToken: JSON.stringify({ endpoint, expirationTime: null, keys }) });
      expectProblem(res, 400, 'PUSH_ENDPOINT_NOT_ALLOWED');
    }
    expect((await as(out).get('/api/v1/devices')).body.total).toBe(before);
  });

  it('texts a friend request to the phone of someone who chose SMS, and Twilio\'s delivery report comes back through the gateway: the log says delivered', async () => {
    const { ann, out } = p;
    const number = `+1415${String(Math.floor(Math.random() * 1e7)).padStart(7, '0')}`;
    expect((await call(gw, 'PATCH', '/api/v1/users/me', { token: out.token, body: { phoneNumber: number } })).status).toBe(200);
    const pref = await call(gw, 'PUT', '/api/v1/notification-preferences/friend_request', { token: out.token, body: { isEnabled: true, channels: ['in_app', 'sms'], frequency: 'immediate' } });
    expect(pref.status).toBe(200);
    await expectEventually(async () => {
      expect(await query(notificationDb(), `SELECT phone_number FROM user_phone_numbers WHERE user_id = $1`, [out.id])).toEqual([{ phone_number: number }]);
    }, { timeoutMs: 30_000, what: 'the phone number projected' });
    expect((await as(ann).post('/api/v1/friendships', { toUserId: out.id })).status).toBe(201);

    const [m] = await expectEventually(async () => {
      const got = sms.to(number);
      if (!got.length) throw new Error('no SMS yet');
      return got;
    }, { timeoutMs: 30_000, what: 'the SMS' });
    expect(m.statusCallback).toMatch(new RegExp(`^${gw}/callbacks/sms/twilio\\?deliveryId=[0-9a-f-]{36}$`));
    const smsLogs = () => query(notificationDb(),
      `SELECT l.status, l.external_id, l.delivered_at IS NOT NULL AS delivered FROM notification_logs l JOIN notifications n ON n.id = l.notification_id
        WHERE n.user_id = $1 AND l.delivery_method = 'sms'`, [out.id]);
    await expectEventually(async () => expect(await smsLogs()).toEqual([{ status: 'delivered', external_id: m.sid, delivered: true }]),
      { timeoutMs: 30_000, what: 'the delivery report applied' });
    expect(sms.callbacksOf(m.sid).map((c) => [c.status, c.answer])).toEqual([['sent', 204], ['delivered', 204]]);

    // Through the gateway without a token: a forged report is refused and changes nothing.
    expect(await sms.postStatus(m.sid, 'undelivered', { errorCode: 30003, authToken: 'not-the-auth-token-of-this-account' })).toBe(403);
    expect(await smsLogs()).toEqual([{ status: 'delivered', external_id: m.sid, delivered: true }]);
  });
});
