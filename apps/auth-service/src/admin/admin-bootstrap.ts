import type { MikroORM } from '@mikro-orm/postgresql';
import { OutboxWriter } from '@tally/messaging';
import { inTransaction } from '@tally/persistence';
import { UserEvents } from '../users/user.events';
import { flagsForRole } from './admin-policy';
import { AdminUserRepository } from './admin-user.repository';
import type { CreateAdminArgs } from './create-admin-args';

export type PromoteResult =
  | { outcome: 'promoted' | 'unchanged'; userId: string; username: string; isSuperuser: boolean; isVerified: boolean }
  | { outcome: 'not_found' }
  | { outcome: 'inactive'; userId: string; username: string };

/**
 * The first admin: there is nobody to grant it over HTTP, so an operator runs create-admin.ts
 * with the service's database. Promotes an existing active account to admin (and superuser when
 * asked; never the reverse), with user.role_changed in the same transaction (byUserId null: the system).
 */
export async function promoteToAdmin(orm: MikroORM, users: AdminUserRepository, outbox: OutboxWriter, args: CreateAdminArgs): Promise<PromoteResult> {
  return inTransaction(orm, async (em) => {
    const user = await users.findByLoginForUpdate(em, { email: args.email, username: args.username });
    if (!user) return { outcome: 'not_found' as const };
    if (!user.isActive) return { outcome: 'inactive' as const, userId: user.id, username: user.username };
    const next = flagsForRole('admin', { isSuperuser: user.isSuperuser || args.superuser });
    const unchanged = user.role === next.role && user.isPremium === next.isPremium && user.isSuperuser === next.isSuperuser;
    if (!unchanged) {
      Object.assign(user, next);
      await users.flush(em);
      await outbox.append(em, UserEvents.roleChanged(user.id, 'admin', null, new Date(), { userId: null, ip: null, userAgent: 'auth-service create-admin command' }));
    }
    return { outcome: unchanged ? ('unchanged' as const) : ('promoted' as const), userId: user.id, username: user.username, isSuperuser: user.isSuperuser, isVerified: user.isVerified };
  });
}
