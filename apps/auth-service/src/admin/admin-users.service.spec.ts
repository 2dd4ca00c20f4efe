import { Logger } from '@nestjs/common';
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import type { OutboxWriter } from '@tally/messaging';
import type { AccountRepository } from '../users/account.repository';
import { User } from '../users/user.entity';
import { AdminException, AdminExceptionCode } from './admin.exceptions';
import { AdminCaller } from './admin-policy';
import { AdminUserRepository, likeContains } from './admin-user.repository';
import { AdminUsersService, toAdminUserView } from './admin-users.service';

const ROOT = '00000000-0000-4000-8000-000000000001';
const ADMIN = '00000000-0000-4000-8000-000000000002';
const ANN = '00000000-0000-4000-8000-000000000003';

function user(o: Partial<User>): User {
  return Object.assign(new User(), {
    username: 'ann', email: 'ann@example.com', password: '$argon2id$v=19$m=19456,t=2,p=1$secret-hash', role: 'user', isActive: true,
    isVerified: true, isPremium: false, isStaff: false, isSuperuser: false, failedLoginAttempts: 0, accountLockedUntil: null,
    lastLogin: null, lastLoginIp: null, dateJoined: new Date('2026-11-01T00:00:00Z'), createdAt: new Date('2026-11-01T00:00:00Z'),
    updatedAt: new Date('2026-11-01T00:00:00Z'), ...o,
  });
}

/** A repository over an in-memory table, and an outbox that records what it is given. */
function setup(rows: User[]) {
  const table = new Map(rows.map((u) => [u.id, u]));
  const events: { type: string; subject: string; data: Record<string, unknown> }[] = [];
  const flushes: number[] = [];
  const em = { transactional: <T>(fn: (em: EntityManager) => Promise<T>) => fn(em) } as unknown as EntityManager;
  const orm = { em: { fork: () => em } } as unknown as MikroORM;
  const revoked: string[] = [];
  const repo = {
    lockCallerAndTarget: async (_em: EntityManager, c: string, t: string) => ({ caller: table.get(c) ?? null, target: table.get(t) ?? null }),
    findById: async (_em: EntityManager, id: string) => table.get(id) ?? null,
    revokeRefreshTokens: async (_em: EntityManager, id: string) => (revoked.push(id), 2),
    flush: async () => void flushes.push(1),
  } as unknown as AdminUserRepository;
  const outbox = { append: async (_em: EntityManager, e: { type: string; subject: string; data: Record<string, unknown> }) => void events.push(e) } as unknown as OutboxWriter;
  const clearedLogins: string[][] = [];
  const accounts = { clearLoginThrottles: async (_em: EntityManager, keys: string[]) => void clearedLogins.push(keys) } as unknown as AccountRepository;
  return { service: new AdminUsersService(orm, repo, outbox, accounts), table, events, revoked, flushes, clearedLogins };
}

async function failure(p: Promise<unknown>): Promise<{ code: string; status: number }> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(AdminException);
    return { code: (err as AdminException).code, status: (err as AdminException).status };
  }
  throw new Error('expected a failure');
}

const root: AdminCaller = { id: ROOT, level: 'superuser' };
const admin: AdminCaller = { id: ADMIN, level: 'admin' };

beforeAll(() => Logger.overrideLogger(false));

describe('AdminUsersService', () => {
  let s: ReturnType<typeof setup>;
  beforeEach(() => {
    s = setup([
      user({ id: ROOT, username: 'root', role: 'admin', isSuperuser: true }),
      user({ id: ADMIN, username: 'adm', role: 'admin' }),
      user({ id: ANN }),
    ]);
  });

  it('deactivates: the flag, the refresh tokens and user.deactivated by the admin, once', async () => {
    const view = await s.service.deactivate(admin, ANN);
    expect(view).toMatchObject({ id: ANN, isActive: false });
    expect(s.revoked).toEqual([ANN]);
    expect(s.events).toEqual([{ type: 'user.deactivated', subject: ANN, data: { userId: ANN, at: expect.any(String), byUserId: ADMIN } }]);
    // Again: nothing to do, nothing published.
    await s.service.deactivate(admin, ANN);
    expect(s.events).toHaveLength(1);
    expect(s.revoked).toEqual([ANN]);
  });

  it('reactivates with user.reactivated, and does nothing for an active account', async () => {
    await s.service.reactivate(admin, ANN);
    expect(s.events).toEqual([]);
    s.table.get(ANN)!.isActive = false;
    expect(await s.service.reactivate(admin, ANN)).toMatchObject({ isActive: true });
    expect(s.events.map((e) => e.type)).toEqual(['user.reactivated']);
  });

  it('unlocks: counter to 0, lock cleared, user.unlocked with lockedUntil null', async () => {
    Object.assign(s.table.get(ANN)!, { failedLoginAttempts: 7, accountLockedUntil: new Date(Date.now() + 3600_000) });
    expect(await s.service.unlock(admin, ANN)).toMatchObject({ failedLoginAttempts: 0, accountLockedUntil: null, locked: false });
    expect(s.events).toEqual([{ type: 'user.unlocked', subject: ANN, data: { userId: ANN, at: expect.any(String), byUserId: ADMIN, lockedUntil: null } }]);
    // The counters of both its logins go too (a lock of `ann` or of her email alone would otherwise stay).
    expect(s.clearedLogins).toEqual([[expect.stringMatching(/^[0-9a-f]{64}$/), expect.stringMatching(/^[0-9a-f]{64}$/)]]);
  });

  it('changes the role, keeping is_premium in step, with user.role_changed', async () => {
    expect(await s.service.changeRole(admin, ANN, 'premium')).toMatchObject({ role: 'premium', isPremium: true });
    expect(await s.service.changeRole(admin, ANN, 'premium')).toMatchObject({ role: 'premium', isPremium: true });
    expect(await s.service.changeRole(admin, ANN, 'user')).toMatchObject({ role: 'user', isPremium: false });
    expect(s.events.map((e) => [e.type, e.data.role, e.data.byUserId])).toEqual([
      ['user.role_changed', 'premium', ADMIN],
      ['user.role_changed', 'user', ADMIN],
    ]);
  });

  it('demoting a superuser takes is_superuser away too', async () => {
    const other = '00000000-0000-4000-8000-000000000009';
    s.table.set(other, user({ id: other, role: 'admin', isSuperuser: true }));
    expect(await s.service.changeRole(root, other, 'user')).toMatchObject({ role: 'user', isSuperuser: false });
  });

  it('refuses self-deactivation and self-demotion (409), and changes nothing', async () => {
    expect(await failure(s.service.deactivate(root, ROOT))).toEqual({ code: AdminExceptionCode.CannotChangeSelf, status: 409 });
    expect(await failure(s.service.changeRole(admin, ADMIN, 'user'))).toEqual({ code: AdminExceptionCode.CannotChangeSelf, status: 409 });
    expect(s.table.get(ROOT)).toMatchObject({ isActive: true, role: 'admin', isSuperuser: true });
    expect(s.events).toEqual([]);
  });

  it('lets only a superuser change an admin', async () => {
    expect(await failure(s.service.deactivate(admin, ROOT))).toEqual({ code: AdminExceptionCode.SuperuserRequired, status: 403 });
    expect(await failure(s.service.changeRole(admin, ROOT, 'user'))).toEqual({ code: AdminExceptionCode.SuperuserRequired, status: 403 });
    expect(s.events).toEqual([]);
    await s.service.deactivate(root, ADMIN);
    expect(s.events.map((e) => e.type)).toEqual(['user.deactivated']);
  });

  it('decides from the locked rows, not from what the guard saw: a caller demoted meanwhile is refused', async () => {
    s.table.get(ADMIN)!.role = 'user';
    expect(await failure(s.service.deactivate(admin, ANN))).toEqual({ code: AdminExceptionCode.AdminRequired, status: 403 });
    s.table.get(ADMIN)!.role = 'admin';
    s.table.get(ADMIN)!.isActive = false;
    expect(await failure(s.service.unlock(admin, ANN))).toEqual({ code: AdminExceptionCode.AdminRequired, status: 403 });
    expect(s.table.get(ANN)!.isActive).toBe(true);
  });

  it('404s an unknown account', async () => {
    expect(await failure(s.service.deactivate(admin, '00000000-0000-4000-8000-00000000dead'))).toEqual({ code: AdminExceptionCode.UserNotFound, status: 404 });
    expect(await failure(s.service.get('00000000-0000-4000-8000-00000000dead'))).toEqual({ code: AdminExceptionCode.UserNotFound, status: 404 });
  });
});

describe('toAdminUserView', () => {
  it('has the admin fields and never the password hash', () => {
    const u = user({ id: ANN, lastLoginIp: '10.0.0.1', lastLogin: new Date('2026-11-20T08:00:00Z'), failedLoginAttempts: 3, accountLockedUntil: new Date('2000-01-01T00:00:00Z') });
    const v = toAdminUserView(u, new Date('2026-11-22T00:00:00Z'));
    expect(v).toMatchObject({ failedLoginAttempts: 3, accountLockedUntil: '2000-01-01T00:00:00.000Z', locked: false, lastLogin: '2026-11-20T08:00:00.000Z', lastLoginIp: '10.0.0.1', dateJoined: '2026-11-01T00:00:00.000Z' });
    expect(v).not.toHaveProperty('password');
    expect(JSON.stringify(v)).not.toContain('argon2');
  });
});

describe('likeContains', () => {
  it('escapes LIKE wildcards so they match themselves', () => {
    expect(likeContains('ann')).toBe('%ann%');
    expect(likeContains('50%_off\\')).toBe('%50\\%\\_off\\\\%');
  });
});
