import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { SigningKey } from './signing-key.entity';

/** Arbitrary, fixed: serializes key minting across replicas. */
const MINTING_LOCK_KEY = 74219002;

@Injectable()
export class SigningKeyRepository {
  /** Holds, until the transaction ends, the lock that keeps replicas starting together from each minting a key. */
  async lockMinting(em: EntityManager): Promise<void> {
    await em.getConnection().execute(`SELECT pg_advisory_xact_lock(${MINTING_LOCK_KEY})`, [], 'run', em.getTransactionContext());
  }

  findActive(em: EntityManager): Promise<SigningKey | null> {
    return em.findOne(SigningKey, { status: 'active' });
  }

  /** Keys that may still have unexpired tokens out there: active, and retired within `graceMs`. */
  findVerifiable(em: EntityManager, graceMs: number): Promise<SigningKey[]> {
    return em.find(
      SigningKey,
      { $or: [{ status: 'active' }, { status: 'retired', retiredAt: { $gt: new Date(Date.now() - graceMs) } }] },
      { orderBy: { createdAt: 'desc' } },
    );
  }

  async insert(em: EntityManager, key: SigningKey): Promise<void> {
    await em.persist(key).flush();
  }

  async flush(em: EntityManager): Promise<void> {
    await em.flush();
  }
}
