import type { EventEnvelope } from '@tally/contracts';
import type { EventConsumer, EventHandler, HandlerContext } from '@tally/messaging';
import { ActivityLog } from './activity-log.entity';
import { ActivityLogRepository } from './activity-log.repository';
import { ActivityLogService, activityFromEvent, registerWithActivityLog } from './activity-log.service';

const USER = '5f0c3c1e-8a5b-4c1e-9a7e-2f1d3b4c5d6e';
const ADMIN = '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d';

function registered(overrides: Partial<EventEnvelope> = {}): EventEnvelope {
  return {
    id: '3e1f2d4c-5b6a-4978-8a9b-0c1d2e3f4a5b',
    type: 'user.registered',
    source: 'auth-service',
    time: '2026-11-20T08:30:00.123Z',
    subject: USER,
    data: {
      userId: USER, username: 'alice', email: 'alice@example.com', firstName: 'Alice', lastName: null,
      preferredCurrency: 'EUR', timezone: 'Europe/Paris', dateJoined: '2026-11-20T08:30:00.000Z',
    },
    specversion: '1.0',
    ...overrides,
  };
}

function logRow(overrides: Partial<ActivityLog> = {}): ActivityLog {
  return Object.assign(new ActivityLog(), {
    id: '3e1f2d4c-5b6a-4978-8a9b-0c1d2e3f4a5b', userId: USER, action: 'user.email_verified', contentType: 'user', objectId: USER,
    objectRepr: null, changes: { userId: USER, email: 'alice@example.com', verifiedAt: '2026-11-20T09:00:00.000Z' },
    ipAddress: '203.0.113.7', userAgent: 'Mozilla/5.0', createdAt: new Date('2026-11-20T09:00:00.000Z'), updatedAt: new Date('2026-11-20T09:00:01.000Z'),
    ...overrides,
  });
}

function fakeTransaction() {
  const execute = jest.fn().mockResolvedValue(undefined);
  const em = { getConnection: () => ({ execute }), getTransactionContext: () => 'trx' };
  return { execute, ctx: { em, afterCommit: jest.fn() } as unknown as HandlerContext };
}

describe('ActivityLogService.listForUser', () => {
  it('returns the caller\'s entries in the repository\'s newest-first order as {items,total,limit,offset}', async () => {
    const findForUser = jest.fn().mockResolvedValue([
      [logRow({ id: 'b', createdAt: new Date('2026-11-20T09:00:00.000Z') }), logRow({ id: 'a', action: 'user.registered', createdAt: new Date('2026-11-20T08:30:00.000Z') })],
      12,
    ]);
    const service = new ActivityLogService({ findForUser } as unknown as ActivityLogRepository);

    const page = await service.listForUser(USER, 2, 10);

    expect(findForUser).toHaveBeenCalledWith(USER, 2, 10);
    expect(page.items.map((i) => [i.id, i.action, i.createdAt])).toEqual([
      ['b', 'user.email_verified', '2026-11-20T09:00:00.000Z'],
      ['a', 'user.registered', '2026-11-20T08:30:00.000Z'],
    ]);
    expect(page).toMatchObject({ total: 12, limit: 2, offset: 10 });
  });

  it('shows an entry with its object, origin and changes, and nulls for what is unknown', async () => {
    const service = new ActivityLogService({ findForUser: jest.fn().mockResolvedValue([[logRow(), logRow({ id: 'x', ipAddress: null, userAgent: undefined })], 2]) } as unknown as ActivityLogRepository);

    const { items } = await service.listForUser(USER, 20, 0);

    expect(items[0]).toEqual({
      id: '3e1f2d4c-5b6a-4978-8a9b-0c1d2e3f4a5b', action: 'user.email_verified', objectType: 'user', objectId: USER, objectRepr: null,
      changes: { userId: USER, email: 'alice@example.com', verifiedAt: '2026-11-20T09:00:00.000Z' },
      ipAddress: '203.0.113.7', userAgent: 'Mozilla/5.0', createdAt: '2026-11-20T09:00:00.000Z',
    });
    expect(items[1]).toMatchObject({ ipAddress: null, userAgent: null });
  });
});

describe('activityFromEvent', () => {
  it('maps a self-registration (no authenticated actor) to the new user\'s own entry', () => {
    expect(activityFromEvent(registered())).toEqual({
      id: '3e1f2d4c-5b6a-4978-8a9b-0c1d2e3f4a5b',
      userId: USER,
      action: 'user.registered',
      contentType: 'user',
      objectId: USER,
      objectRepr: 'alice',
      changes: {
        userId: USER, username: 'alice', email: 'alice@example.com', firstName: 'Alice', lastName: null,
        preferredCurrency: 'EUR', timezone: 'Europe/Paris', dateJoined: '2026-11-20T08:30:00.000Z',
      },
      ipAddress: null,
      userAgent: null,
      createdAt: '2026-11-20T08:30:00.123Z',
    });
  });

  it('takes the acting user, ip and user agent from the actor', () => {
    const row = activityFromEvent(registered({ actor: { userId: ADMIN, ip: '2001:db8::1', userAgent: 'curl/8.5' } }));

    expect(row).toMatchObject({ userId: ADMIN, ipAddress: '2001:db8::1', userAgent: 'curl/8.5' });
  });

  it('stores null rather than fail on an address or user id PostgreSQL would reject', () => {
    const row = activityFromEvent(registered({ actor: { userId: 'not-a-uuid', ip: 'unknown', userAgent: '' }, data: { note: 'x' } }));

    expect(row).toMatchObject({ userId: null, ipAddress: null, userAgent: null, objectRepr: null });
  });

  it('never copies secrets into changes, at any depth', () => {
    const row = activityFromEvent(registered({
      type: 'email_verification.requested',
      data: { userId: USER, email: 'alice@example.com', token: 'a'.repeat(40), nested: { refresh_token: 'r', password: 'p', kept: 1 }, list: [{ apiKey: 'k', id: 2 }] },
    }));

    expect(row.contentType).toBe('email_verification');
    expect(row.changes).toEqual({ userId: USER, email: 'alice@example.com', nested: { kept: 1 }, list: [{ id: 2 }] });
  });
});

describe('registerWithActivityLog', () => {
  function fakeConsumer() {
    const handlers = new Map<string, EventHandler<any>>();
    const consumer = {} as EventConsumer;
    consumer.on = jest.fn((type: string, handler: EventHandler<any>) => {
      if (handlers.has(type)) throw new Error(`handler for ${type} already registered`);
      handlers.set(type, handler);
      return consumer;
    }) as unknown as EventConsumer['on'];
    return { consumer, handlers };
  }

  it('adds the audit row to an audited type\'s handler, in the same transaction, after the projection', async () => {
    const { consumer, handlers } = fakeConsumer();
    const projection = jest.fn(async (_e: unknown, ctx: HandlerContext) => {
      await ctx.em.getConnection().execute('INSERT INTO users ...', [], 'run', ctx.em.getTransactionContext());
    });

    registerWithActivityLog(consumer, (c) => c.on('user.registered', projection), ['user.registered']);
    const { execute, ctx } = fakeTransaction();
    await handlers.get('user.registered')!(registered(), ctx);

    expect(projection).toHaveBeenCalledTimes(1);
    expect(execute.mock.calls.map((c) => c[0])).toEqual(['INSERT INTO users ...', expect.stringContaining('INSERT INTO activity_logs')]);
    const [, params, , trx] = execute.mock.calls[1];
    expect(trx).toBe('trx');
    expect(params).toEqual(['3e1f2d4c-5b6a-4978-8a9b-0c1d2e3f4a5b', USER, 'user.registered', 'user', USER, 'alice', expect.any(String), null, null, '2026-11-20T08:30:00.123Z']);
    expect(JSON.parse(params[6])).toMatchObject({ username: 'alice' });
  });

  it('passes other handlers through untouched and audits audited types nobody else handles', async () => {
    const { consumer, handlers } = fakeConsumer();
    const keys = jest.fn();

    registerWithActivityLog(consumer, (c) => c.on('signing_key.published', keys), ['user.registered', 'user.email_verified']);

    expect(handlers.get('signing_key.published')).toBe(keys);
    expect([...handlers.keys()].sort()).toEqual(['signing_key.published', 'user.email_verified', 'user.registered']);
    const { execute, ctx } = fakeTransaction();
    await handlers.get('user.email_verified')!(registered({ type: 'user.email_verified', data: { userId: USER, email: 'alice@example.com', verifiedAt: '2026-11-20T09:00:00.000Z' } }), ctx);
    expect(execute).toHaveBeenCalledTimes(1);
    expect(execute.mock.calls[0][1]).toEqual(expect.arrayContaining(['user.email_verified', USER]));
  });

  it('a projection that fails writes no audit row (the transaction rolls back and the event is retried)', async () => {
    const { consumer, handlers } = fakeConsumer();
    registerWithActivityLog(consumer, (c) => c.on('user.registered', async () => { throw new Error('db down'); }), ['user.registered']);
    const { execute, ctx } = fakeTransaction();

    await expect(handlers.get('user.registered')!(registered(), ctx)).rejects.toThrow('db down');
    expect(execute).not.toHaveBeenCalled();
  });
});
