import { randomUUID } from 'node:crypto';
import { HttpStatus, Injectable } from '@nestjs/common';
import { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { parse } from 'csv-parse/sync';
import { isCurrencyCode } from '@tally/contracts';
import { freshEm, inTransaction } from '@tally/persistence';
import { CursorPage, CursorQueryDto, DomainException, cursorPage, decodeCursor } from '@tally/service-kit';
import { Currency, CurrencyRate } from './currency.entity';
import { CurrencyRepository } from './currency.repository';

export interface CurrencyView {
  code: string;
  name: string;
  symbol: string;
  decimalPlaces: number;
  /** US dollars per unit, a decimal string with 10 places; null until an admin sets a rate. */
  exchangeRateToUsd: string | null;
  rateDate: string | null;
  isActive: boolean;
}

export interface RateView {
  rateToUsd: string;
  date: string;
  source: string;
  recordedById: string | null;
  recordedAt: string;
}

const MAX_IMPORT_LINES = 5000;
/** A positive NUMERIC(20,10). */
export const RATE = /^(?!0+(\.0+)?$)\d{1,10}(\.\d{1,10})?$/;

/** A real calendar day YYYY-MM-DD. */
export function isRealDate(value: unknown): value is string {
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(value)) return false;
  const d = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === value;
}

export const CurrencyErrors = {
  badFile: (errors: { field: string; message: string }[]) =>
    new DomainException('INVALID_RATES_FILE', `The rates file was not imported: ${errors.length} problem(s), first: ${errors[0]?.field}: ${errors[0]?.message}`, HttpStatus.BAD_REQUEST, { errors }),
  notFound: () => new DomainException('CURRENCY_NOT_FOUND', 'No currency with that ISO 4217 code.', HttpStatus.NOT_FOUND),
  adminRequired: () => new DomainException('ADMIN_REQUIRED', 'Only platform admins can change exchange rates.', HttpStatus.FORBIDDEN),
  futureDate: () =>
    new DomainException('INVALID_RATE', 'A rate cannot be dated in the future.', HttpStatus.BAD_REQUEST, { errors: [{ field: 'date', message: 'date must not be in the future' }] }),
  invalidDate: () =>
    new DomainException('INVALID_RATE', 'date must be a real calendar date YYYY-MM-DD.', HttpStatus.BAD_REQUEST, { errors: [{ field: 'date', message: 'date must be a real calendar date' }] }),
  usdIsOne: () =>
    new DomainException('INVALID_RATE', 'USD is the reference currency: its rate is always 1.', HttpStatus.BAD_REQUEST, { errors: [{ field: 'rate', message: 'USD is always 1' }] }),
};

const view = (c: Currency): CurrencyView => ({
  code: c.code, name: c.name, symbol: c.symbol, decimalPlaces: c.decimalPlaces,
  exchangeRateToUsd: c.exchangeRateToUsd ?? null, rateDate: c.rateDate ?? null, isActive: c.isActive,
});

/**
 * Currencies and their rates to the US dollar. Every rate set is kept (`currency_rates`) with its date;
 * the currency's current rate is the one with the latest date (a rate for an older date is recorded
 * without replacing it), so a conversion made with any past rate can be replayed.
 */
@Injectable()
export class CurrencyService {
  constructor(private readonly orm: MikroORM, private readonly currencies: CurrencyRepository) {}

  async list(): Promise<{ items: CurrencyView[] }> {
    return { items: (await this.currencies.listActive(freshEm(this.orm))).map(view) };
  }

  async get(code: string): Promise<CurrencyView> {
    const c = await this.currencies.findByCode(freshEm(this.orm), code);
    if (!c) throw CurrencyErrors.notFound();
    return view(c);
  }

  async rates(code: string, q: CursorQueryDto): Promise<CursorPage<RateView>> {
    const em = freshEm(this.orm);
    const c = await this.currencies.findByCode(em, code);
    if (!c) throw CurrencyErrors.notFound();
    const rows = await this.currencies.rates(em, c.id, decodeCursor(q.cursor), q.limit + 1);
    return cursorPage(rows, q.limit, (r) => ({ at: r.recordedAt, id: r.id }), (r) => ({
      rateToUsd: r.rateToUsd, date: r.rateDate, source: r.source, recordedById: r.recordedById ?? null, recordedAt: r.recordedAt.toISOString(),
    }));
  }

  /** Records a rate (platform admins). `rate` is a validated decimal string, `date` a YYYY-MM-DD not in the future (UTC). */
  async setRate(actor: { id: string; role: string }, code: string, rate: string, date: string, source: 'api' | 'import' = 'api'): Promise<CurrencyView> {
    if (actor.role !== 'admin') throw CurrencyErrors.adminRequired();
    if (date > new Date().toISOString().slice(0, 10)) throw CurrencyErrors.futureDate();
    return inTransaction(this.orm, async (em) => view(await this.applyRate(em, actor.id, code, rate, date, source)));
  }

  /**
   * Imports a rates file (platform admins): CSV with the header `code,rate,date`, one rate per line, at
   * most 5,000 lines. All or nothing: any bad line (unknown code, a rate that is not a positive decimal
   * of NUMERIC(20,10), a date that is not a real past day, USD other than 1) refuses the whole file with
   * a 400 naming the lines; otherwise every rate is recorded, in order, in one transaction.
   */
  async importRates(actor: { id: string; role: string }, csv: string): Promise<{ imported: number; currencies: string[] }> {
    if (actor.role !== 'admin') throw CurrencyErrors.adminRequired();
    let rows: string[][];
    try {
      rows = parse(csv, { skip_empty_lines: true, trim: true, relax_column_count: false, max_record_size: 200 }) as string[][];
    } catch (err) {
      throw CurrencyErrors.badFile([{ field: 'csv', message: `not CSV: ${(err as Error).message.slice(0, 200)}` }]);
    }
    if (!rows.length || rows[0].join(',').toLowerCase() !== 'code,rate,date') throw CurrencyErrors.badFile([{ field: 'csv', message: 'the first line must be the header code,rate,date' }]);
    const lines = rows.slice(1);
    if (!lines.length) throw CurrencyErrors.badFile([{ field: 'csv', message: 'no rates after the header' }]);
    if (lines.length > MAX_IMPORT_LINES) throw CurrencyErrors.badFile([{ field: 'csv', message: `at most ${MAX_IMPORT_LINES} rates per file` }]);
    const today = new Date().toISOString().slice(0, 10);
    const errors: { field: string; message: string }[] = [];
    const parsed = lines.map(([rawCode, rate, date], i) => {
      const code = String(rawCode ?? '').toUpperCase();
      const line = `csv line ${i + 2}`;
      if (!isCurrencyCode(code)) errors.push({ field: line, message: `unknown currency code ${JSON.stringify(rawCode).slice(0, 20)}` });
      else if (!RATE.test(rate ?? '')) errors.push({ field: line, message: 'rate must be a positive decimal such as 1.0845 (at most 10 digits before and 10 after the point)' });
      else if (!isRealDate(date) || date > today) errors.push({ field: line, message: 'date must be a real day YYYY-MM-DD, not in the future' });
      else if (code === 'USD' && !/^1(\.0+)?$/.test(rate)) errors.push({ field: line, message: 'USD is always 1' });
      return { code, rate, date };
    });
    if (errors.length) throw CurrencyErrors.badFile(errors.slice(0, 50));
    await inTransaction(this.orm, async (em) => {
      for (const r of parsed) await this.applyRate(em, actor.id, r.code, r.rate, r.date, 'import');
    });
    return { imported: parsed.length, currencies: [...new Set(parsed.map((r) => r.code))].sort() };
  }

  private async applyRate(em: EntityManager, actorId: string, code: string, rate: string, date: string, source: 'api' | 'import'): Promise<Currency> {
    const c = await this.currencies.findByCode(em, code, true);
    if (!c) throw CurrencyErrors.notFound();
    if (code === 'USD' && !/^1(\.0+)?$/.test(rate)) throw CurrencyErrors.usdIsOne();
    const r = new CurrencyRate();
    r.id = randomUUID();
    r.currencyId = c.id;
    r.rateToUsd = rate;
    r.rateDate = date;
    r.source = source;
    r.recordedById = actorId;
    await this.currencies.insertRate(em, r);
    if (!c.rateDate || date >= c.rateDate) {
      c.exchangeRateToUsd = rate;
      c.rateDate = date;
      await this.currencies.save(em);
    }
    await em.refresh(c);
    return c;
  }
}
