import { Body, Controller, Get, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import { IsString, Matches, MaxLength } from 'class-validator';
import { AuthenticatedUser, CurrentUser } from '@tally/security';
import { CursorQueryDto } from '@tally/service-kit';
import { CurrencyErrors, CurrencyService, isRealDate } from './currency.service';

/** PUT /api/v1/currencies/{code}/rate. */
export class SetRateDto {
  /** US dollars per unit: a positive decimal string, at most 10 integer digits and 10 decimals (NUMERIC(20,10)). */
  @IsString() @Matches(/^(?!0+(\.0+)?$)\d{1,10}(\.\d{1,10})?$/, { message: 'rate must be a positive decimal string such as "1.0845" (at most 10 digits before and 10 after the point)' })
  rate!: string;

  /** The day the rate is for, YYYY-MM-DD, not in the future. */
  @IsString() @Matches(/^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/, { message: 'date must be a date YYYY-MM-DD' })
  date!: string;
}

/** POST /api/v1/currencies/rates/import. */
export class ImportRatesDto {
  /** The rates file: CSV with the header `code,rate,date` (US dollars per unit, YYYY-MM-DD), at most 5,000 lines. */
  @IsString() @MaxLength(200_000)
  csv!: string;
}

const code = (raw: string): string => {
  const c = raw.toUpperCase();
  if (!/^[A-Z]{3}$/.test(c)) throw CurrencyErrors.notFound();
  return c;
};

@Controller('api/v1/currencies')
export class CurrencyController {
  constructor(private readonly currencies: CurrencyService) {}

  /** Platform admins: a whole rates file at once, all or nothing. */
  @Post('rates/import')
  @HttpCode(200)
  importRates(@CurrentUser() user: AuthenticatedUser, @Body() dto: ImportRatesDto) {
    return this.currencies.importRates(user, dto.csv);
  }

  @Get()
  list() {
    return this.currencies.list();
  }

  @Get(':code')
  get(@Param('code') raw: string) {
    return this.currencies.get(code(raw));
  }

  @Get(':code/rates')
  rates(@Param('code') raw: string, @Query() q: CursorQueryDto) {
    return this.currencies.rates(code(raw), q);
  }

  @Put(':code/rate')
  setRate(@CurrentUser() user: AuthenticatedUser, @Param('code') raw: string, @Body() dto: SetRateDto) {
    if (!isRealDate(dto.date)) throw CurrencyErrors.invalidDate();
    return this.currencies.setRate(user, code(raw), dto.rate, dto.date);
  }
}
