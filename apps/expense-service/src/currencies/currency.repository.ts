import { Injectable } from '@nestjs/common';
import { LockMode } from '@mikro-orm/core';
import { EntityManager } from '@mikro-orm/postgresql';
import { TimeIdCursor } from '@tally/service-kit';
import { Currency, CurrencyRate } from './currency.entity';

/** The only code that touches `currencies` and `currency_rates`. */
@Injectable()
export class CurrencyRepository {
  listActive(em: EntityManager): Promise<Currency[]> {
    return em.find(Currency, { isActive: true }, { orderBy: { code: 'asc' } });
  }

  findByCode(em: EntityManager, code: string, lock = false): Promise<Currency | null> {
    return em.findOne(Currency, { code }, lock ? { lockMode: LockMode.PESSIMISTIC_WRITE } : {});
  }

  async insertRate(em: EntityManager, r: CurrencyRate): Promise<void> {
    em.persist(r);
    await em.flush();
  }

  async save(em: EntityManager): Promise<void> {
    await em.flush();
  }

  /** A currency's rate history, newest rate date first (then newest recorded), after the cursor. */
  async rates(em: EntityManager, currencyId: string, after: TimeIdCursor | undefined, take: number): Promise<CurrencyRate[]> {
    const params: unknown[] = [currencyId];
    let cond = '';
    if (after) {
      cond = ' AND (recorded_at, id) < (?, ?)';
      params.push(after.at, after.id);
    }
    params.push(take);
    const rows = await em.getConnection().execute<Record<string, unknown>[]>(
      `SELECT * FROM currency_rates WHERE currency_id = ?${cond} ORDER BY recorded_at DESC, id DESC LIMIT ?`, params,
    );
    return rows.map((r) => em.map(CurrencyRate, r));
  }
}
