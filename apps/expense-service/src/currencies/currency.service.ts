import { randomUUID } from 'node:crypto';
import { HttpStatus, Injectable } from '@nestjs/common';
import { MikroORM } from '@mikro-orm/postgresql';
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

export const CurrencyErrors = {
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
    return inTransaction(this.orm, async (em) => {
      const c = await this.currencies.findByCode(em, code, true);
      if (!c) throw CurrencyErrors.notFound();
      if (code === 'USD' && !/^1(\.0+)?$/.test(rate)) throw CurrencyErrors.usdIsOne();
      const r = new CurrencyRate();
      r.id = randomUUID();
      r.currencyId = c.id;
      r.rateToUsd = rate;
      r.rateDate = date;
      r.source = source;
      r.recordedById = actor.id;
      await this.currencies.insertRate(em, r);
      if (!c.rateDate || date >= c.rateDate) {
        c.exchangeRateToUsd = rate;
        c.rateDate = date;
        await this.currencies.save(em);
      }
      await em.refresh(c);
      return view(c);
    });
  }
}
