import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { Allow, IsIn, IsInt, IsOptional, IsString, IsUUID, Matches, Max, Min, ValidateIf } from 'class-validator';
import { RECURRING_FREQUENCIES } from '@tally/contracts';
import { CursorQueryDto, IsNotBlank, MaxChars } from '@tally/service-kit';

const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);
const upper = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim().toUpperCase() : value);
const present = (_o: object, v: unknown) => v !== undefined;
const DATE = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;
const AMOUNT = /^\d{1,13}(\.\d{1,3})?$/;

const SPLIT_DOC = {
  type: 'object',
  description: 'How each occurrence is shared, exactly as an expense\'s `split`: `{ "type": "equal", "userIds": [...] }`, `exact`, `percentage`, `shares`, `adjustment`, `itemized` (see POST /api/v1/expenses).',
  additionalProperties: true,
} as const;

/** POST /api/v1/recurring-expenses: a template; expense-worker adds an expense on each occurrence. */
export class CreateRecurringExpenseDto {
  @Transform(trim) @IsString() @IsNotBlank() @MaxChars(200)
  title!: string;

  @IsOptional() @Transform(trim) @IsString() @IsNotBlank() @MaxChars(5000)
  description?: string | null;

  /** Each occurrence's amount: a decimal string with at most the currency's places, e.g. "12.50" (USD), "1200" (JPY). */
  @IsString() @Matches(AMOUNT, { message: 'amount must be a positive decimal string such as "12.50"' })
  amount!: string;

  /** ISO 4217; defaults to the group's currency (or USD outside groups). */
  @ValidateIf(present) @Transform(upper) @IsString() @Matches(/^[A-Z]{3}$/, { message: 'currency must be an ISO 4217 currency code such as EUR' })
  currency?: string;

  @IsOptional() @IsUUID('all', { message: 'categoryId must be a category id (UUID)' })
  categoryId?: string | null;

  /** Absent: between friends, outside groups (the split's people are you and your friends). */
  @ValidateIf(present) @IsUUID('all', { message: 'groupId must be a group id (UUID)' })
  groupId?: string;

  @IsIn(RECURRING_FREQUENCIES, { message: `frequency must be one of ${RECURRING_FREQUENCIES.join(', ')}` })
  frequency!: (typeof RECURRING_FREQUENCIES)[number];

  /** Every `interval` × frequency (1–1000, default 1): e.g. monthly with 3 is quarterly. */
  @ValidateIf(present) @IsInt({ message: 'interval must be a whole number' }) @Min(1) @Max(1000)
  interval?: number;

  /** Who pays each occurrence; default: you. */
  @ValidateIf(present) @IsUUID('all', { message: 'paidById must be a user id (UUID)' })
  paidById?: string;

  /** The first occurrence (UTC calendar date, YYYY-MM-DD): the anchor every later one is counted from; from a year ago at most. */
  @IsString() @Matches(DATE, { message: 'startDate must be a date YYYY-MM-DD' })
  startDate!: string;

  /** The last day an occurrence may fall on (inclusive); absent or null: no end. */
  @IsOptional() @IsString() @Matches(DATE, { message: 'endDate must be a date YYYY-MM-DD' })
  endDate?: string | null;

  @ApiProperty(SPLIT_DOC) @Allow()
  split!: unknown;
}

/**
 * PATCH /api/v1/recurring-expenses/{id}: absent fields stay. Changes apply to occurrences not generated
 * yet; the expenses already generated stay as they are. The schedule (startDate, frequency, interval)
 * changes only while nothing was generated.
 */
export class UpdateRecurringExpenseDto {
  @ValidateIf(present) @Transform(trim) @IsString() @IsNotBlank() @MaxChars(200)
  title?: string;

  @IsOptional() @Transform(trim) @IsString() @IsNotBlank() @MaxChars(5000)
  description?: string | null;

  @ValidateIf(present) @IsString() @Matches(AMOUNT, { message: 'amount must be a positive decimal string such as "12.50"' })
  amount?: string;

  @ValidateIf(present) @Transform(upper) @IsString() @Matches(/^[A-Z]{3}$/, { message: 'currency must be an ISO 4217 currency code such as EUR' })
  currency?: string;

  @IsOptional() @IsUUID('all', { message: 'categoryId must be a category id (UUID)' })
  categoryId?: string | null;

  @ValidateIf(present) @IsIn(RECURRING_FREQUENCIES, { message: `frequency must be one of ${RECURRING_FREQUENCIES.join(', ')}` })
  frequency?: (typeof RECURRING_FREQUENCIES)[number];

  @ValidateIf(present) @IsInt({ message: 'interval must be a whole number' }) @Min(1) @Max(1000)
  interval?: number;

  @ValidateIf(present) @IsUUID('all', { message: 'paidById must be a user id (UUID)' })
  paidById?: string;

  @ValidateIf(present) @IsString() @Matches(DATE, { message: 'startDate must be a date YYYY-MM-DD' })
  startDate?: string;

  /** null: no end. */
  @IsOptional() @IsString() @Matches(DATE, { message: 'endDate must be a date YYYY-MM-DD' })
  endDate?: string | null;

  @ApiPropertyOptional(SPLIT_DOC) @Allow()
  split?: unknown;
}

/** POST /api/v1/recurring-expenses/{id}/pause. */
export class PauseRecurringExpenseDto {
  /** Resume by itself on this UTC date (after today; its occurrence is generated); absent: until resumed. */
  @ValidateIf(present) @IsString() @Matches(DATE, { message: 'until must be a date YYYY-MM-DD' })
  until?: string;
}

/** GET /api/v1/recurring-expenses: newest first, cursor pages. */
export class ListRecurringExpensesQueryDto extends CursorQueryDto {
  @IsOptional() @IsUUID('all', { message: 'groupId must be a UUID' }) groupId?: string;
  /** true: deleted and ended ones too. */
  @IsOptional() @IsIn(['true', 'false'], { message: 'includeInactive must be true or false' }) includeInactive?: 'true' | 'false';
}
