import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { Country } from './country.entity';

@Injectable()
export class CountryRepository {
  findAll(em: EntityManager): Promise<Country[]> {
    return em.find(Country, {}, { orderBy: { code: 'asc' } });
  }

  findByCode(em: EntityManager, code: string): Promise<Country | null> {
    return em.findOne(Country, { code: code.toUpperCase() });
  }

  /** The country whose alpha-2 code or name equals `value`, case-insensitively. */
  async findByCodeOrName(em: EntityManager, value: string): Promise<Country | null> {
    const rows = await em.getConnection().execute<{ code: string }[]>(
      `SELECT code FROM countries WHERE code = upper(?) OR lower(name) = lower(?) ORDER BY (code = upper(?)) DESC LIMIT 1`,
      [value, value, value],
      'all',
      em.getTransactionContext(),
    );
    return rows[0] ? em.findOne(Country, { code: rows[0].code }) : null;
  }
}
