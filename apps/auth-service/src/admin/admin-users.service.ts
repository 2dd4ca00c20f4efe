import { Injectable, Logger } from '@nestjs/common';
import { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { OutboxWriter } from '@tally/messaging';
import { freshEm, inTransaction } from '@tally/persistence';
import { Page } from '@tally/service-kit';
import { AccountRepository } from '../users/account.repository';
import { accountLoginKeys } from '../users/auth.service';
import { User, UserRole } from '../users/user.entity';
import { UserEvents } from '../users/user.events';
import { AdminErrors } from './admin.exceptions';
import { AdminCaller, UserChange, authorizeAdmin, authorizeUserChange, flagsForRole } from './admin-policy';
import { AdminUserRepository, UserSearch } from './admin-user.repository';

/** What an admin sees of an account: everything but the password hash. */
export interface AdminUserView {
  id: string;
  username: string;
  email: string;
  firstName: string | null;
  lastName: string | null;
  role: UserRole;
  isActive: boolean;
  isVerified: boolean;
  isPremium: boolean;
  isStaff: boolean;
  isSuperuser: boolean;
  failedLoginAttempts: number;
  accountLockedUntil: string | null;
  /** account_locked_until is in the future. */
  locked: boolean;
  lastLogin: string | null;
  lastLoginIp: string | null;
  dateJoined: string;
  createdAt: string;
  updatedAt: string;
}

const iso = (d: Date | null | undefined) => (d ? d.toISOString() : null);

export function toAdminUserView(u: User, now = new Date()): AdminUserView {
  return {
    id: u.id, username: u.username, email: u.email, firstName: u.firstName ?? null, lastName: u.lastName ?? null,
    role: u.role, isActive: u.isActive, isVerified: u.isVerified, isPremium: u.isPremium, isStaff: u.isStaff,
    isSuperuser: u.isSuperuser, failedLoginAttempts: u.failedLoginAttempts, accountLockedUntil: iso(u.accountLockedUntil),
    locked: !!u.accountLockedUntil && u.accountLockedUntil.getTime() > now.getTime(), lastLogin: iso(u.lastLogin),
    lastLoginIp: u.lastLoginIp ?? null, dateJoined: u.dateJoined.toISOString(), createdAt: u.createdAt.toISOString(),
    updatedAt: u.updatedAt.toISOString(),
  };
}

/**
 * Account administration. Every change runs in one transaction that locks the caller's and the
 * target's rows, decides from that state (admin-policy.ts), changes the row and appends the event
 * to the outbox. A change that changes nothing (deactivating an inactive account, say) succeeds
 * and publishes nothing, so retries are harmless.
 */
@Injectable()
export class AdminUsersService {
  private readonly log = new Logger('AdminUsers');

  constructor(
    private readonly orm: MikroORM,
    private readonly users: AdminUserRepository,
    private readonly outbox: OutboxWriter,
    private readonly accounts: AccountRepository,
  ) {}

  async list(q: UserSearch): Promise<Page<AdminUserView>> {
    const [rows, total] = await this.users.search(freshEm(this.orm), { ...q, search: q.search || undefined });
    const now = new Date();
    return { items: rows.map((u) => toAdminUserView(u, now)), total, limit: q.limit, offset: q.offset };
  }

  async get(id: string): Promise<AdminUserView> {
    const user = await this.users.findById(freshEm(this.orm), id);
    if (!user) throw AdminErrors.userNotFound();
    return toAdminUserView(user);
  }

  /** Deactivates the account and revokes its refresh tokens; it can no longer log in. */
  deactivate(caller: AdminCaller, id: string): Promise<AdminUserView> {
    return this.change(caller, id, 'deactivate', async (target, em, at) => {
      if (!target.isActive) return false;
      target.isActive = false;
      await this.users.flush(em);
      const revoked = await this.users.revokeRefreshTokens(em, target.id);
      await this.outbox.append(em, UserEvents.deactivated(target.id, caller.id, at));
      this.log.log({ msg: 'account deactivated', userId: target.id, byUserId: caller.id, refreshTokensRevoked: revoked });
      return true;
    });
  }

  reactivate(caller: AdminCaller, id: string): Promise<AdminUserView> {
    return this.change(caller, id, 'reactivate', async (target, em, at) => {
      if (target.isActive) return false;
      target.isActive = true;
      await this.users.flush(em);
      await this.outbox.append(em, UserEvents.reactivated(target.id, caller.id, at));
      this.log.log({ msg: 'account reactivated', userId: target.id, byUserId: caller.id });
      return true;
    });
  }

  /** Clears the failed-login counter and any lock, the account's and those of its username and email. */
  unlock(caller: AdminCaller, id: string): Promise<AdminUserView> {
    return this.change(caller, id, 'unlock', async (target, em, at) => {
      await this.accounts.clearLoginThrottles(em, accountLoginKeys(target));
      if (target.failedLoginAttempts === 0 && !target.accountLockedUntil) return false;
      target.failedLoginAttempts = 0;
      target.accountLockedUntil = null;
      await this.users.flush(em);
      await this.outbox.append(em, UserEvents.unlocked(target.id, caller.id, at));
      this.log.log({ msg: 'account unlocked', userId: target.id, byUserId: caller.id });
      return true;
    });
  }

  /** Sets the platform role; is_premium follows role premium, and leaving admin drops is_superuser (flagsForRole). */
  changeRole(caller: AdminCaller, id: string, role: UserRole): Promise<AdminUserView> {
    return this.change(caller, id, 'change_role', async (target, em, at) => {
      const next = flagsForRole(role, target);
      if (target.role === next.role && target.isPremium === next.isPremium && target.isSuperuser === next.isSuperuser) return false;
      const from = target.role;
      Object.assign(target, next);
      await this.users.flush(em);
      await this.outbox.append(em, UserEvents.roleChanged(target.id, role, caller.id, at));
      this.log.log({ msg: 'role changed', userId: target.id, byUserId: caller.id, from, to: role });
      return true;
    });
  }

  private change(
    caller: AdminCaller,
    targetId: string,
    what: UserChange,
    apply: (target: User, em: EntityManager, at: Date) => Promise<boolean>,
  ): Promise<AdminUserView> {
    return inTransaction(this.orm, async (em) => {
      const rows = await this.users.lockCallerAndTarget(em, caller.id, targetId);
      // Decide again on the locked rows: the caller may have been demoted since the guard looked.
      const current = authorizeAdmin(rows.caller, 'write');
      if (!rows.target) throw AdminErrors.userNotFound();
      authorizeUserChange(current, rows.target, what);
      await apply(rows.target, em, new Date());
      return toAdminUserView(rows.target);
    });
  }
}
