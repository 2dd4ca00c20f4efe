import { Injectable } from '@nestjs/common';
import { MikroORM } from '@mikro-orm/postgresql';
import { createHash } from 'node:crypto';
import { freshEm } from '@tally/persistence';
import { CountryRepository } from './country.repository';
import { PeopleErrors } from './people.exceptions';
import { CountryView, toCountryView } from './views';

export interface CountryList {
  items: CountryView[];
  total: number;
}

/** Is `etag` among the entity tags of an If-None-Match header (weak comparison, RFC 9110 §13.1.2)? */
export function etagMatches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  const bare = (t: string) => t.trim().replace(/^W\//, '');
  return ifNoneMatch.split(',').some((t) => t.trim() === '*' || bare(t) === bare(etag));
}

/** Countries change only with a migration: the list is cached in memory for a minute, with its ETag. */
@Injectable()
export class CountryService {
  private cached?: { list: CountryList; etag: string; at: number };

  constructor(
    private readonly orm: MikroORM,
    private readonly countries: CountryRepository,
  ) {}

  async list(): Promise<{ list: CountryList; etag: string }> {
    if (this.cached && Date.now() - this.cached.at < 60_000) return this.cached;
    // Sorted here rather than by the database's collation, so the order is the same everywhere.
    const byName = new Intl.Collator('en').compare;
    const items = (await this.countries.findAll(freshEm(this.orm))).map(toCountryView).sort((a, b) => byName(a.name, b.name) || a.code.localeCompare(b.code));
    const list = { items, total: items.length };
    const etag = `"${createHash('sha256').update(JSON.stringify(list)).digest('base64url').slice(0, 27)}"`;
    this.cached = { list, etag, at: Date.now() };
    return this.cached;
  }

  async get(code: string): Promise<CountryView> {
    if (!/^[A-Za-z]{2}$/.test(code)) throw PeopleErrors.invalidCountryCode();
    const country = await this.countries.findByCode(freshEm(this.orm), code);
    if (!country) throw PeopleErrors.countryNotFound();
    return toCountryView(country);
  }
}
