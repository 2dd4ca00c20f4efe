import type { EntityManager } from '@mikro-orm/postgresql';

/**
 * The PostgreSQL channel that says "this user has new notifications". The payload is the user's id
 * only: a listener re-reads that user's notifications from the database, so nothing in a payload
 * has to be trusted or fit NOTIFY's 8000-byte limit, and PostgreSQL folds identical payloads of one
 * transaction into one.
 */
export const NOTIFICATIONS_CHANNEL = 'tally_notifications_new';

/**
 * Tells every process streaming notifications (every replica) that these users have new ones.
 * Call it in the transaction that inserts them: PostgreSQL delivers the NOTIFY on commit, exactly
 * once per commit, and never for a rolled-back transaction. (Outside a transaction it is delivered
 * at once, after the statement that inserted them already committed.)
 */
export async function notifyNewNotifications(em: EntityManager, userIds: readonly (string | null | undefined)[]): Promise<void> {
  const users = [...new Set(userIds.filter((u): u is string => typeof u === 'string' && u.length > 0))];
  if (!users.length) return;
  await em
    .getConnection()
    .execute(`SELECT pg_notify(?, u) FROM unnest(string_to_array(?, ',')) AS u`, [NOTIFICATIONS_CHANNEL, users.join(',')], 'all', em.getTransactionContext());
}
