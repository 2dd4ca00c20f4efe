import { AdminException, AdminExceptionCode } from './admin.exceptions';
import { AccountState, AdminCaller, UserChange, accessModeOf, adminLevelOf, authorizeAdmin, authorizeUserChange, flagsForRole } from './admin-policy';

const account = (o: Partial<AccountState> = {}): AccountState => ({ id: 'u-1', role: 'user', isActive: true, isStaff: false, isSuperuser: false, ...o });

function codeOf(fn: () => unknown): { code: string; status: number } | null {
  try {
    fn();
    return null;
  } catch (err) {
    expect(err).toBeInstanceOf(AdminException);
    return { code: (err as AdminException).code, status: (err as AdminException).status };
  }
}

describe('adminLevelOf', () => {
  it.each([
    [account({ isSuperuser: true }), 'superuser'],
    [account({ isSuperuser: true, role: 'admin', isStaff: true }), 'superuser'],
    [account({ role: 'admin' }), 'admin'],
    [account({ role: 'admin', isStaff: true }), 'admin'],
    [account({ isStaff: true }), 'staff'],
    [account({ isStaff: true, role: 'premium' }), 'staff'],
    [account({ role: 'premium' }), null],
    [account(), null],
  ])('%o is %s', (a, level) => expect(adminLevelOf(a)).toBe(level));

  it('gives a deactivated account no rights, whatever its flags', () => {
    expect(adminLevelOf(account({ isActive: false, isSuperuser: true, role: 'admin', isStaff: true }))).toBeNull();
    expect(adminLevelOf(null)).toBeNull();
  });
});

describe('authorizeAdmin', () => {
  it('lets admins and superusers read and write', () => {
    for (const a of [account({ role: 'admin' }), account({ isSuperuser: true })]) {
      expect(authorizeAdmin(a, 'read').id).toBe('u-1');
      expect(authorizeAdmin(a, 'write').level).toBe(adminLevelOf(a));
    }
  });

  it('lets staff read but not write', () => {
    const staff = account({ isStaff: true });
    expect(authorizeAdmin(staff, 'read')).toEqual({ id: 'u-1', level: 'staff' });
    expect(codeOf(() => authorizeAdmin(staff, 'write'))).toEqual({ code: AdminExceptionCode.AdminRequired, status: 403 });
  });

  it('refuses everyone else with 403 ADMIN_REQUIRED, a missing or deactivated account too', () => {
    for (const a of [account(), account({ role: 'premium' }), account({ role: 'admin', isActive: false }), null]) {
      for (const mode of ['read', 'write'] as const) {
        expect(codeOf(() => authorizeAdmin(a, mode))).toEqual({ code: AdminExceptionCode.AdminRequired, status: 403 });
      }
    }
  });

  it('reads GET and HEAD as reading, every other method as writing', () => {
    expect(accessModeOf('GET')).toBe('read');
    expect(accessModeOf('HEAD')).toBe('read');
    for (const m of ['POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']) expect(accessModeOf(m)).toBe('write');
  });
});

describe('authorizeUserChange', () => {
  const admin: AdminCaller = { id: 'admin-1', level: 'admin' };
  const superuser: AdminCaller = { id: 'root-1', level: 'superuser' };
  const changes: UserChange[] = ['deactivate', 'reactivate', 'unlock', 'change_role'];

  it('lets an admin change any plain account', () => {
    for (const target of [account(), account({ role: 'premium' }), account({ isStaff: true }), account({ isActive: false })]) {
      for (const c of changes) expect(codeOf(() => authorizeUserChange(admin, target, c))).toBeNull();
    }
  });

  it('lets only a superuser change an admin or a superuser (403 SUPERUSER_REQUIRED)', () => {
    for (const target of [account({ role: 'admin' }), account({ isSuperuser: true }), account({ role: 'admin', isActive: false })]) {
      for (const c of changes) {
        expect(codeOf(() => authorizeUserChange(admin, target, c))).toEqual({ code: AdminExceptionCode.SuperuserRequired, status: 403 });
        expect(codeOf(() => authorizeUserChange(superuser, target, c))).toBeNull();
      }
    }
  });

  it('refuses deactivating or re-roling oneself (409 CANNOT_CHANGE_SELF), superuser or not', () => {
    for (const caller of [admin, superuser]) {
      const self = account({ id: caller.id, role: 'admin', isSuperuser: caller.level === 'superuser' });
      expect(codeOf(() => authorizeUserChange(caller, self, 'deactivate'))).toEqual({ code: AdminExceptionCode.CannotChangeSelf, status: 409 });
      expect(codeOf(() => authorizeUserChange(caller, self, 'change_role'))).toEqual({ code: AdminExceptionCode.CannotChangeSelf, status: 409 });
      // Clearing one's own failed-login counter harms nobody.
      expect(codeOf(() => authorizeUserChange(caller, self, 'unlock'))).toBeNull();
    }
  });

  it('never lets staff change anything', () => {
    const staff: AdminCaller = { id: 'staff-1', level: 'staff' };
    for (const c of changes) expect(codeOf(() => authorizeUserChange(staff, account(), c))?.status).toBe(403);
  });
});

describe('flagsForRole', () => {
  it('keeps is_premium equal to role premium', () => {
    expect(flagsForRole('premium', { isSuperuser: false })).toEqual({ role: 'premium', isPremium: true, isSuperuser: false });
    expect(flagsForRole('user', { isSuperuser: false })).toEqual({ role: 'user', isPremium: false, isSuperuser: false });
    expect(flagsForRole('admin', { isSuperuser: false })).toEqual({ role: 'admin', isPremium: false, isSuperuser: false });
  });

  it('keeps is_superuser for an admin and drops it for anyone who stops being one', () => {
    expect(flagsForRole('admin', { isSuperuser: true }).isSuperuser).toBe(true);
    expect(flagsForRole('user', { isSuperuser: true }).isSuperuser).toBe(false);
    expect(flagsForRole('premium', { isSuperuser: true }).isSuperuser).toBe(false);
  });
});
