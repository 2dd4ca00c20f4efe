import type { UserRole } from '../users/user.entity';
import { AdminErrors } from './admin.exceptions';

/**
 * Who may do what under /api/v1/admin. Pure functions over the account state read from the
 * database at the time of the request, never over the token's role claim, so a demotion or a
 * deactivation takes effect on the very next request.
 *
 * - superuser: `is_superuser` (and active). Everything an admin may, plus changing admins and superusers.
 * - admin: `role = 'admin'` (and active). Reads and changes everything except other admins and superusers.
 * - staff: `is_staff` (and active), neither of the above. Reads only (GET), changes nothing.
 * - anyone else, and any deactivated account: nothing (403).
 */
export type AdminLevel = 'superuser' | 'admin' | 'staff';

/** Reading (GET) or changing (everything else). */
export type AdminAccessMode = 'read' | 'write';

/** The account fields the decisions need. */
export interface AccountState {
  id: string;
  role: UserRole;
  isActive: boolean;
  isStaff: boolean;
  isSuperuser: boolean;
}

export interface AdminCaller {
  id: string;
  level: AdminLevel;
}

export type UserChange = 'deactivate' | 'reactivate' | 'unlock' | 'change_role';

export function adminLevelOf(account: AccountState | null | undefined): AdminLevel | null {
  if (!account || !account.isActive) return null;
  if (account.isSuperuser) return 'superuser';
  if (account.role === 'admin') return 'admin';
  if (account.isStaff) return 'staff';
  return null;
}

/** Admin rights of an account: an admin role or the superuser flag. Staff is not one. */
export function isPrivileged(account: Pick<AccountState, 'role' | 'isSuperuser'>): boolean {
  return account.role === 'admin' || account.isSuperuser;
}

export function accessModeOf(httpMethod: string): AdminAccessMode {
  return httpMethod === 'GET' || httpMethod === 'HEAD' ? 'read' : 'write';
}

/** The caller's level if it may use an admin route in this mode; throws 403 otherwise. */
export function authorizeAdmin(account: AccountState | null | undefined, mode: AdminAccessMode): AdminCaller {
  const level = adminLevelOf(account);
  if (!level) throw AdminErrors.adminRequired();
  if (mode === 'write' && level === 'staff') throw AdminErrors.readOnlyStaff();
  return { id: account!.id, level };
}

/**
 * May `caller` apply `change` to `target`? Throws otherwise.
 * - nobody deactivates or re-roles themself (409): there is always someone left to undo a mistake,
 *   and the last superuser cannot remove themself;
 * - only a superuser touches an account that is an admin or a superuser (403), whatever the change.
 *   (An admin may promote a plain user to admin; from then on only a superuser can change that account.)
 */
export function authorizeUserChange(caller: AdminCaller, target: AccountState, change: UserChange): void {
  if (caller.level === 'staff') throw AdminErrors.readOnlyStaff();
  if (caller.id === target.id) {
    if (change === 'deactivate') throw AdminErrors.cannotChangeSelf('deactivate');
    if (change === 'change_role') throw AdminErrors.cannotChangeSelf('change the role of');
  }
  if (caller.id !== target.id && isPrivileged(target) && caller.level !== 'superuser') throw AdminErrors.superuserRequired();
}

/**
 * The flags that go with a role: `is_premium` mirrors `role = 'premium'`, and an account that
 * stops being an admin stops being a superuser too (a superuser is an admin; otherwise a "demoted"
 * superuser would keep every admin right).
 */
export function flagsForRole(role: UserRole, current: { isSuperuser: boolean }): { role: UserRole; isPremium: boolean; isSuperuser: boolean } {
  return { role, isPremium: role === 'premium', isSuperuser: role === 'admin' ? current.isSuperuser : false };
}
