import type { MikroORM } from '@mikro-orm/postgresql';
import { EventTopics, TopicConfig, type EventEnvelope } from '@tally/contracts';
import type { EventConsumer, HandlerContext } from '@tally/messaging';
import { ActivityLog } from './activity-log.entity';
import { ActivityLogRepository } from './activity-log.repository';
import { AUDITED_EVENT_TYPES, ActivityLogHook } from './activity-log.hook';
import { ActivityLogService, activityFromEvent } from './activity-log.service';

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

const fakeEm = { fork: true };
const fakeOrm = { em: { fork: () => fakeEm } } as unknown as MikroORM;

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
    const service = new ActivityLogService(fakeOrm, { findForUser } as unknown as ActivityLogRepository);

    const page = await service.listForUser(USER, 2, 10);

    expect(findForUser).toHaveBeenCalledWith(fakeEm, USER, 2, 10);
    expect(page.items.map((i) => [i.id, i.action, i.createdAt])).toEqual([
      ['b', 'user.email_verified', '2026-11-20T09:00:00.000Z'],
      ['a', 'user.registered', '2026-11-20T08:30:00.000Z'],
    ]);
    expect(page).toMatchObject({ total: 12, limit: 2, offset: 10 });
  });

  it('shows an entry with its object, origin and changes, and nulls for what is unknown', async () => {
    const service = new ActivityLogService(fakeOrm, { findForUser: jest.fn().mockResolvedValue([[logRow(), logRow({ id: 'x', ipAddress: null, userAgent: undefined })], 2]) } as unknown as ActivityLogRepository);

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

describe('ActivityLogHook', () => {
  it('registers itself with the consumer for the audited types only', () => {
    const use = jest.fn();
    const hook = new ActivityLogHook({ use } as unknown as EventConsumer, new ActivityLogRepository());
    hook.onModuleInit();
    expect(use).toHaveBeenCalledWith(hook);
    expect(hook.types).toEqual(expect.arrayContaining([
      'user.registered', 'user.email_verified', 'group.created', 'membership.joined', 'invitation.created', 'expense.created',
      'comment.created', 'comment.updated', 'comment.deleted',
    ]));
    // never an event of a topic that carries secrets or that analytics may not read
    for (const type of hook.types) {
      const topic = TopicConfig[EventTopics[type]];
      expect({ type, carriesSecrets: topic.carriesSecrets, readers: topic.readers }).toEqual({ type, carriesSecrets: false, readers: 'any' });
    }
  });

  it('audits every comment event (expense.comment.v1) as the acting user\'s entry about the comment', () => {
    const AUTHOR = '1b2c3d4e-5f6a-4b7c-8d9e-0f1a2b3c4d5e';
    const COMMENT = '7c6b5a49-3827-4615-8a4b-3c2d1e0f9a8b';
    const data = {
      commentId: COMMENT, expenseId: '2a3b4c5d-6e7f-4a8b-9c0d-1e2f3a4b5c6d', groupId: null, userId: AUTHOR, parentId: null, parentAuthorId: null,
      expenseTitle: 'Dinner', participantIds: [AUTHOR, ADMIN], comment: null, isEdited: false, byUserId: ADMIN, at: '2026-12-06T09:00:00.000Z',
    };
    for (const type of ['comment.created', 'comment.updated', 'comment.deleted'] as const) {
      expect(AUDITED_EVENT_TYPES).toContain(type);
      const row = activityFromEvent(registered({ type, source: 'expense-service', subject: COMMENT, actor: { userId: ADMIN }, data } as Partial<EventEnvelope>));
      expect(row).toMatchObject({ userId: ADMIN, action: type, contentType: 'comment', objectId: COMMENT, objectRepr: 'Dinner' });
    }
  });

  it('audits recurring expense templates (expense.recurring-expense.v1); one expense-worker deactivated has no acting user', () => {
    const TEMPLATE = '5d4c3b2a-1f0e-4d9c-8b7a-6f5e4d3c2b1a';
    const data = {
      recurringExpenseId: TEMPLATE, groupId: null, title: 'Rent', amount: '100.00', currency: 'EUR', categoryId: null, frequency: 'monthly', interval: 1,
      paidById: ADMIN, createdById: ADMIN, participantIds: [ADMIN], startDate: '2026-01-31', endDate: null, nextDueDate: '2026-02-28', splitType: 'equal',
      isActive: true, isPaused: false, pausedUntil: null, reason: null, byUserId: ADMIN, at: '2026-12-06T09:00:00.000Z',
    };
    for (const type of ['recurring_expense.created', 'recurring_expense.updated', 'recurring_expense.paused', 'recurring_expense.resumed', 'recurring_expense.deleted'] as const) {
      expect(AUDITED_EVENT_TYPES).toContain(type);
      const row = activityFromEvent(registered({ type, source: 'expense-service', subject: TEMPLATE, actor: { userId: ADMIN }, data } as Partial<EventEnvelope>));
      expect(row).toMatchObject({ userId: ADMIN, action: type, contentType: 'recurring_expense', objectId: TEMPLATE, objectRepr: 'Rent' });
    }
    expect(AUDITED_EVENT_TYPES).toContain('recurring_expense.deactivated');
    const off = activityFromEvent(registered({
      type: 'recurring_expense.deactivated', source: 'expense-service', subject: TEMPLATE, actor: undefined, data: { ...data, isActive: false, reason: 'ENDED', byUserId: null },
    } as Partial<EventEnvelope>));
    expect(off).toMatchObject({ userId: null, action: 'recurring_expense.deactivated', objectId: TEMPLATE, changes: expect.objectContaining({ reason: 'ENDED' }) });
  });

  it('writes the audit row on the consumer\'s transaction', async () => {
    const hook = new ActivityLogHook({ use: jest.fn() } as unknown as EventConsumer, new ActivityLogRepository());
    const { execute, ctx } = fakeTransaction();
    await hook.run(registered(), ctx);

    expect(execute).toHaveBeenCalledTimes(1);
    const [sql, params, , trx] = execute.mock.calls[0];
    expect(sql).toContain('INSERT INTO activity_logs');
    expect(trx).toBe('trx');
    expect(params).toEqual(['3e1f2d4c-5b6a-4978-8a9b-0c1d2e3f4a5b', USER, 'user.registered', 'user', USER, 'alice', expect.any(String), null, null, '2026-11-20T08:30:00.123Z']);
    expect(JSON.parse(params[6])).toMatchObject({ username: 'alice' });
  });
});
