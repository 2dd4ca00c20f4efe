import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, IsUUID, Matches, ValidateIf } from 'class-validator';
import { Transform } from 'class-transformer';
import { BUDGET_PERIODS, type BudgetPeriod } from '@tally/money';
import { CursorQueryDto } from '@tally/service-kit';

const upper = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim().toUpperCase() : value);
const present = (_o: object, v: unknown) => v !== undefined;
const DATE = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;
const AMOUNT = /^\d{1,13}(\.\d{1,3})?$/;
const PERIOD_DOC = { enum: BUDGET_PERIODS, description: 'weekly, monthly (default) or yearly, each period from startDate on' } as const;
const DATE_DOC = { type: String, format: 'date' } as const;
const NULLABLE_DATE_DOC = { type: String, format: 'date', nullable: true, description: 'YYYY-MM-DD, inclusive; null: no end' } as const;

/** POST /api/v1/budgets. */
export class CreateBudgetDto {
  /** Per period: a positive decimal string with at most the currency's decimal places, e.g. "400.00" (USD), "50000" (JPY). */
  @IsString() @Matches(AMOUNT, { message: 'amount must be a positive decimal string such as "400.00"' })
  amount!: string;

  /** ISO 4217; only spending in this currency counts. Default USD. */
  @ValidateIf(present) @Transform(upper) @IsString() @Matches(/^[A-Z]{3}$/, { message: 'currency must be an ISO 4217 currency code such as EUR' })
  currency?: string;

  /** An expense category; absent or null: spending in every category. */
  @IsOptional() @IsUUID('all', { message: 'categoryId must be a category id (UUID)' })
  categoryId?: string | null;

  /** weekly, monthly (default) or yearly, each period from startDate on. */
  @ApiPropertyOptional(PERIOD_DOC) @ValidateIf(present) @IsIn(BUDGET_PERIODS, { message: 'period must be weekly, monthly or yearly' })
  period?: BudgetPeriod;

  /** YYYY-MM-DD: the first period starts on it (default: today, UTC). */
  @ApiPropertyOptional(DATE_DOC) @ValidateIf(present) @IsString() @Matches(DATE, { message: 'startDate must be a date YYYY-MM-DD' })
  startDate?: string;

  /** YYYY-MM-DD, inclusive: the last day the budget follows; absent or null: no end. */
  @ApiPropertyOptional(NULLABLE_DATE_DOC) @IsOptional() @IsString() @Matches(DATE, { message: 'endDate must be a date YYYY-MM-DD' })
  endDate?: string | null;
}

/** PATCH /api/v1/budgets/{id}: absent fields stay; `categoryId: null` means every category, `endDate: null` no end. */
export class UpdateBudgetDto {
  @ValidateIf(present) @IsString() @Matches(AMOUNT, { message: 'amount must be a positive decimal string such as "400.00"' })
  amount?: string;

  @ValidateIf(present) @Transform(upper) @IsString() @Matches(/^[A-Z]{3}$/, { message: 'currency must be an ISO 4217 currency code such as EUR' })
  currency?: string;

  @IsOptional() @IsUUID('all', { message: 'categoryId must be a category id (UUID)' })
  categoryId?: string | null;

  @ApiPropertyOptional(PERIOD_DOC) @ValidateIf(present) @IsIn(BUDGET_PERIODS, { message: 'period must be weekly, monthly or yearly' })
  period?: BudgetPeriod;

  @ApiPropertyOptional(DATE_DOC) @ValidateIf(present) @IsString() @Matches(DATE, { message: 'startDate must be a date YYYY-MM-DD' })
  startDate?: string;

  @ApiPropertyOptional(NULLABLE_DATE_DOC) @IsOptional() @IsString() @Matches(DATE, { message: 'endDate must be a date YYYY-MM-DD' })
  endDate?: string | null;
}

/** GET /api/v1/budgets: newest first, `?limit=` (1–100, default 20) and `?cursor=`. */
export class ListBudgetsQueryDto extends CursorQueryDto {}
