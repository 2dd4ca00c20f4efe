import type { MikroORM } from '@mikro-orm/postgresql';
import { Country } from './country.entity';
import { CountryRepository } from './country.repository';
import { CountryService, etagMatches } from './country.service';
import { COUNTRIES } from './countries.data';

describe('etagMatches', () => {
  it('compares weakly against each tag of If-None-Match', () => {
    expect(etagMatches('"abc"', '"abc"')).toBe(true);
    expect(etagMatches('W/"abc"', '"abc"')).toBe(true);
    expect(etagMatches('"x", "abc"', '"abc"')).toBe(true);
    expect(etagMatches('*', '"abc"')).toBe(true);
    expect(etagMatches('"abd"', '"abc"')).toBe(false);
    expect(etagMatches(undefined, '"abc"')).toBe(false);
  });
});

describe('CountryService', () => {
  const de = Object.assign(new Country(), { id: 'c1', code: 'DE', name: 'Germany', phoneCode: '+49', flagEmoji: '🇩🇪', currencyCode: 'EUR', currencyId: null });

  it('gives the same ETag for the same list and refuses malformed codes before the database', async () => {
    const findAll = jest.fn().mockResolvedValue([de]);
    const findByCode = jest.fn().mockResolvedValue(null);
    const orm = { em: { fork: () => ({}) } } as unknown as MikroORM;
    const service = new CountryService(orm, { findAll, findByCode } as unknown as CountryRepository);
    const a = await service.list();
    const b = await service.list();
    expect(a.etag).toBe(b.etag);
    expect(a.list).toEqual({ total: 1, items: [{ id: 'c1', code: 'DE', name: 'Germany', phoneCode: '+49', flagEmoji: '🇩🇪', currencyCode: 'EUR', currencyId: null }] });
    await expect(service.get('DEU')).rejects.toMatchObject({ code: 'INVALID_COUNTRY_CODE', status: 400 });
    await expect(service.get('zz')).rejects.toMatchObject({ code: 'COUNTRY_NOT_FOUND', status: 404 });
    expect(findByCode).toHaveBeenCalledTimes(1);
  });
});

describe('countries.data', () => {
  it('has every alpha-2 code once, unique names, and values that fit the columns', () => {
    expect(COUNTRIES.length).toBe(250);
    expect(new Set(COUNTRIES.map((c) => c.code)).size).toBe(COUNTRIES.length);
    expect(new Set(COUNTRIES.map((c) => c.name.toLowerCase())).size).toBe(COUNTRIES.length);
    expect(new Set(COUNTRIES.map((c) => c.id)).size).toBe(COUNTRIES.length);
    for (const c of COUNTRIES) {
      expect(c.code).toMatch(/^[A-Z]{2}$/);
      expect(c.name.length).toBeLessThanOrEqual(100);
      if (c.phoneCode) expect(c.phoneCode).toMatch(/^\+\d{1,9}$/);
      if (c.currencyCode) expect(c.currencyCode).toMatch(/^[A-Z]{3}$/);
      expect([...c.flagEmoji].length).toBe(2);
    }
    for (const code of ['US', 'DE', 'JP', 'BR', 'IN', 'ZA', 'AX', 'XK']) expect(COUNTRIES.some((c) => c.code === code)).toBe(true);
  });
});
