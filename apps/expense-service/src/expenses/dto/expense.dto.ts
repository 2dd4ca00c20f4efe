import { ApiProperty, ApiPropertyOptional, ApiPropertyOptions } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { Allow, ArrayMaxSize, IsArray, IsIn, IsInt, Max, Min, IsOptional, IsString, IsUUID, Matches, ValidateIf } from 'class-validator';
import { CursorQueryDto, IsNotBlank, MaxChars } from '@tally/service-kit';

const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);
const upper = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim().toUpperCase() : value);
const present = (_o: object, v: unknown) => v !== undefined;
const DATE = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;
const AMOUNT = /^\d{1,13}(\.\d{1,3})?$/;

const SPLIT_DOC = {
  type: 'object',
  description: 'How the amount is shared. `{ "type": "equal", "userIds": [...] }`; `exact`: `amounts: [{ userId, amount }]`; `percentage`: `percentages: [{ userId, percent }]` (sum 100); `shares`: `shares: [{ userId, shares }]`; `adjustment`: `adjustments: [{ userId, adjustment }]` (added to an equal split of the rest); `itemized`: `items: [{ name?, amount, userIds | weights: [{ userId, weight }] }]`, `tax?`, `tip?` (spread in proportion to each person\'s items).',
  additionalProperties: true,
} as const;

const PAYERS_DOC: ApiPropertyOptions = {
  type: 'array',
  description: 'Who paid: `[{ userId, amount? }]`; one payer may leave out the amount (they paid it all); several payers\' amounts sum exactly to the expense. Default: the caller paid it all.',
  items: { type: 'object', properties: { userId: { type: 'string', format: 'uuid' }, amount: { type: 'string' } }, required: ['userId'] },
};

/** POST /api/v1/expenses. */
export class CreateExpenseDto {
  @Transform(trim) @IsString() @IsNotBlank() @MaxChars(200)
  title!: string;

  @IsOptional() @Transform(trim) @IsString() @IsNotBlank() @MaxChars(5000)
  description?: string | null;

  /** A decimal string with at most the currency's decimal places, e.g. "12.50" (USD), "1200" (JPY). */
  @IsString() @Matches(AMOUNT, { message: 'amount must be a positive decimal string such as "12.50"' })
  amount!: string;

  /** ISO 4217; defaults to the group's currency (or USD outside groups). */
  @ValidateIf(present) @Transform(upper) @IsString() @Matches(/^[A-Z]{3}$/, { message: 'currency must be an ISO 4217 currency code such as EUR' })
  currency?: string;

  @IsOptional() @IsUUID('all', { message: 'categoryId must be a category id (UUID)' })
  categoryId?: string | null;

  /** Absent: an expense between friends, outside groups. */
  @ValidateIf(present) @IsUUID('all', { message: 'groupId must be a group id (UUID)' })
  groupId?: string;

  /** YYYY-MM-DD, not in the future in the payer's time zone; defaults to their today. */
  @ValidateIf(present) @IsString() @Matches(DATE, { message: 'expenseDate must be a date YYYY-MM-DD' })
  expenseDate?: string;

  @IsOptional() @Transform(trim) @IsString() @IsNotBlank() @MaxChars(200)
  vendor?: string | null;

  @IsOptional() @Transform(trim) @IsString() @IsNotBlank() @MaxChars(200)
  location?: string | null;

  @IsOptional() @Transform(trim) @IsString() @IsNotBlank() @MaxChars(5000)
  notes?: string | null;

  /** Tag names (created when new), at most 10. */
  @ValidateIf(present) @IsArray() @ArrayMaxSize(10) @IsString({ each: true }) @Matches(/^[^,\n]{1,50}$/, { each: true, message: 'each tag is 1 to 50 characters' })
  tags?: string[];

  @ApiPropertyOptional(PAYERS_DOC) @Allow()
  payers?: unknown;

  @ApiProperty(SPLIT_DOC) @Allow()
  split!: unknown;
}

/** PATCH /api/v1/expenses/{id}: absent fields stay. Shares are recomputed only when amount, currency, payers or split are given. */
export class UpdateExpenseDto {
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

  @ValidateIf(present) @IsString() @Matches(DATE, { message: 'expenseDate must be a date YYYY-MM-DD' })
  expenseDate?: string;

  @IsOptional() @Transform(trim) @IsString() @IsNotBlank() @MaxChars(200)
  vendor?: string | null;

  @IsOptional() @Transform(trim) @IsString() @IsNotBlank() @MaxChars(200)
  location?: string | null;

  @IsOptional() @Transform(trim) @IsString() @IsNotBlank() @MaxChars(5000)
  notes?: string | null;

  @ValidateIf(present) @IsArray() @ArrayMaxSize(10) @IsString({ each: true }) @Matches(/^[^,\n]{1,50}$/, { each: true, message: 'each tag is 1 to 50 characters' })
  tags?: string[];

  @ApiPropertyOptional(PAYERS_DOC) @Allow()
  payers?: unknown;

  @ApiPropertyOptional(SPLIT_DOC) @Allow()
  split?: unknown;
}

/** GET /api/v1/expenses. */
export class ListExpensesQueryDto extends CursorQueryDto {
  @IsOptional() @IsUUID('all', { message: 'groupId must be a UUID' }) groupId?: string;
  @IsOptional() @IsUUID('all', { message: 'friendId must be a UUID' }) friendId?: string;
  @IsOptional() @IsUUID('all', { message: 'payerId must be a UUID' }) payerId?: string;
  @IsOptional() @IsUUID('all', { message: 'participantId must be a UUID' }) participantId?: string;
  /** With its children. */
  @IsOptional() @IsUUID('all', { message: 'categoryId must be a UUID' }) categoryId?: string;
  @IsOptional() @IsString() @MaxChars(50) tag?: string;
  @IsOptional() @Matches(DATE, { message: 'dateFrom must be a date YYYY-MM-DD' }) dateFrom?: string;
  @IsOptional() @Matches(DATE, { message: 'dateTo must be a date YYYY-MM-DD' }) dateTo?: string;
  @IsOptional() @Matches(AMOUNT, { message: 'amountMin must be a decimal string' }) amountMin?: string;
  @IsOptional() @Matches(AMOUNT, { message: 'amountMax must be a decimal string' }) amountMax?: string;
  @IsOptional() @IsIn(['true', 'false'], { message: 'settled must be true or false' }) settled?: 'true' | 'false';
  @IsOptional() @IsIn(['true', 'false'], { message: 'includeDeleted must be true or false' }) includeDeleted?: 'true' | 'false';
  @IsOptional() @Transform(trim) @IsString() @IsNotBlank() @MaxChars(200) q?: string;
}

/** GET /api/v1/balances/groups/{groupId}. */
export class GroupBalancesQueryDto {
  /** Override the group's setting: `true` for the fewest transfers, `false` for who owes whom directly. */
  @IsOptional() @IsIn(['true', 'false'], { message: 'simplify must be true or false' }) simplify?: 'true' | 'false';
}

/** GET /api/v1/balances/groups/{groupId}/converted. */
export class ConvertedBalancesQueryDto {
  /** The currency to show every balance in (ISO 4217). */
  @Transform(upper) @IsString() @Matches(/^[A-Z]{3}$/, { message: 'currency must be an ISO 4217 currency code such as USD' })
  currency!: string;

  /** latest (default): today's rates; expense: the rate snapshotted on each expense when it was saved. */
  @IsOptional() @IsIn(['latest', 'expense'], { message: 'rates must be latest or expense' })
  rates?: 'latest' | 'expense';
}

/** GET /api/v1/balances/groups/{groupId}/members/{userId}. */
export class ExplainBalanceQueryDto {
  @Transform(upper) @IsString() @Matches(/^[A-Z]{3}$/, { message: 'currency must be an ISO 4217 currency code such as EUR' })
  currency!: string;

  /** How many of the newest expenses to list (1–500, default 100). */
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(500)
  limit: number = 100;
}
