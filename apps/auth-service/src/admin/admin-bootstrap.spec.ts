import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import type { OutboxWriter } from '@tally/messaging';
import { User } from '../users/user.entity';
import { promoteToAdmin } from './admin-bootstrap';
import { AdminUserRepository } from './admin-user.repository';

const ID = '00000000-0000-4000-8000-000000000007';

function setup(found: Partial<User> | null) {
  const user = found ? Object.assign(new User(), { id: ID, username: 'ann', email: 'ann@example.com', role: 'user', isActive: true, isVerified: true, isPremium: false, isSuperuser: false, ...found }) : null;
  const events: { type: string; subject: string; data: unknown; actor?: unknown }[] = [];
  const lookups: unknown[] = [];
  const em = { transactional: <T>(fn: (em: EntityManager) => Promise<T>) => fn(em) } as unknown as EntityManager;
  const orm = { em: { fork: () => em } } as unknown as MikroORM;
  const repo = {
    findByLoginForUpdate: async (_em: EntityManager, by: unknown) => (lookups.push(by), user),
    flush: async () => undefined,
  } as unknown as AdminUserRepository;
  const outbox = { append: async (_em: EntityManager, e: (typeof events)[number]) => void events.push(e) } as unknown as OutboxWriter;
  return { user, events, lookups, run: (superuser = false, by: { email?: string; username?: string } = { email: 'ANN@example.com' }) => promoteToAdmin(orm, repo, outbox, { ...by, superuser }) };
}

describe('promoteToAdmin', () => {
  it('makes the account an admin and publishes user.role_changed by the system', async () => {
    const s = setup({ role: 'premium', isPremium: true });
    expect(await s.run()).toEqual({ outcome: 'promoted', userId: ID, username: 'ann', isSuperuser: false, isVerified: true });
    expect(s.lookups).toEqual([{ email: 'ANN@example.com', username: undefined }]);
    expect(s.user).toMatchObject({ role: 'admin', isPremium: false, isSuperuser: false });
    expect(s.events).toEqual([
      { type: 'user.role_changed', subject: ID, data: { userId: ID, at: expect.any(String), byUserId: null, role: 'admin' }, actor: expect.objectContaining({ userId: null }) },
    ]);
  });

  it('adds is_superuser when asked, and never takes it away', async () => {
    const s = setup({ role: 'admin' });
    expect(await s.run(true)).toMatchObject({ outcome: 'promoted', isSuperuser: true });
    expect(await s.run(false)).toMatchObject({ outcome: 'unchanged', isSuperuser: true });
    expect(s.user!.isSuperuser).toBe(true);
    expect(s.events).toHaveLength(1);
  });

  it('changes nothing for an admin already so', async () => {
    const s = setup({ role: 'admin', isSuperuser: true });
    expect(await s.run(true, { username: 'ann' })).toMatchObject({ outcome: 'unchanged' });
    expect(s.events).toEqual([]);
  });

  it('reports an unknown or deactivated account and changes nothing', async () => {
    expect(await setup(null).run()).toEqual({ outcome: 'not_found' });
    const s = setup({ isActive: false });
    expect(await s.run(true)).toEqual({ outcome: 'inactive', userId: ID, username: 'ann' });
    expect(s.user).toMatchObject({ role: 'user', isSuperuser: false });
    expect(s.events).toEqual([]);
  });
});
