import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';

/**
 * The one way to open a transaction: a fresh EntityManager (its own identity map), `fn` run in a
 * transaction on it, committed when `fn` resolves and rolled back when it throws (the error is
 * rethrown). Services call it; repositories never open transactions themselves.
 *
 * The rule that goes with it: every repository method takes the EntityManager as its FIRST
 * parameter, explicitly, never a default. Writes, and reads that decide a write, run on the `em`
 * given by `inTransaction` (or a Kafka handler's `ctx.em`, or a job's), so they commit together with
 * the outbox event they cause. Reads that stand alone, and single atomic statements, use `freshEm(orm)`.
 *
 *     return inTransaction(this.orm, async (em) => {
 *       const group = await this.groups.lock(em, id);
 *       ...
 *       await this.outbox.append(em, GroupEvents.created(group));
 *     });
 */
export function inTransaction<T>(orm: MikroORM, fn: (em: EntityManager) => Promise<T>): Promise<T> {
  return orm.em.fork().transactional(fn);
}

/** A fresh EntityManager outside any transaction, for reads and single-statement writes (each statement commits on its own). */
export function freshEm(orm: MikroORM): EntityManager {
  return orm.em.fork();
}
