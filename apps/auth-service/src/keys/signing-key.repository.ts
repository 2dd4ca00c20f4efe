import { Injectable } from '@nestjs/common';
import { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { SigningKey } from './signing-key.entity';

@Injectable()
export class SigningKeyRepository {
  constructor(private readonly orm: MikroORM) {}

  transaction<T>(fn: (em: EntityManager) => Promise<T>): Promise<T> {
    return this.orm.em.fork().transactional(async (em) => {
      // Replicas starting together must not each mint a key.
      await em.getConnection().execute('SELECT pg_advisory_xact_lock(74219002)', [], 'run', em.getTransactionContext());
      return fn(em);
    });
  }

  findActive(em: EntityManager = this.orm.em.fork()): Promise<SigningKey | null> {
    return em.findOne(SigningKey, { status: 'active' });
  }

  /** Keys that may still have unexpired tokens out there: active, and retired within `graceMs`. */
  findVerifiable(graceMs: number): Promise<SigningKey[]> {
    return this.orm.em.fork().find(
      SigningKey,
      { $or: [{ status: 'active' }, { status: 'retired', retiredAt: { $gt: new Date(Date.now() - graceMs) } }] },
      { orderBy: { createdAt: 'desc' } },
    );
  }
}
