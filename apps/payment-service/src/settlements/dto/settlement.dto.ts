import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsOptional, IsString, IsUUID, Matches, ValidateIf } from 'class-validator';
import { SETTLEMENT_METHODS } from '@tally/contracts';
import { CursorQueryDto, IsNotBlank, MaxChars } from '@tally/service-kit';
import type { SettlementMethod, SettlementStatus } from '../settlement.entity';

const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);
const upper = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim().toUpperCase() : value);
const present = (_o: object, v: unknown) => v !== undefined;
const AMOUNT = /^\d{1,13}(\.\d{1,3})?$/;
/** A date (YYYY-MM-DD: the end of that day, UTC) or a date-time with its offset. */
const DUE_DATE = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])(T([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,6})?)?(Z|[+-]([01]\d|2[0-3]):?[0-5]\d))?$/;

export const SETTLEMENT_STATUS_FILTER = ['pending', 'completed', 'cancelled', 'refunded'] as const;

/** POST /api/v1/settlements (Idempotency-Key required). The caller is the payer or the payee. */
export class CreateSettlementDto {
  @IsUUID('all', { message: 'payerId must be a user id (UUID)' })
  payerId!: string;

  @IsUUID('all', { message: 'payeeId must be a user id (UUID)' })
  payeeId!: string;

  /** A positive decimal string with at most the currency's decimal places, e.g. "12.50" (EUR), "1200" (JPY). */
  @IsString() @Matches(AMOUNT, { message: 'amount must be a positive decimal string such as "12.50"' })
  amount!: string;

  /** ISO 4217 (any case). */
  @Transform(upper) @IsString() @Matches(/^[A-Z]{3}$/, { message: 'currency must be an ISO 4217 currency code such as EUR' })
  currency!: string;

  /** Absent: between two friends, outside groups. */
  @ValidateIf(present) @IsUUID('all', { message: 'groupId must be a group id (UUID)' })
  groupId?: string;

  /** manual (default): both parties confirm; automatic: paid through a provider (POST /api/v1/payments); external: paid elsewhere, both confirm. */
  @ApiPropertyOptional({ enum: SETTLEMENT_METHODS, default: 'manual' })
  @ValidateIf(present) @IsIn(SETTLEMENT_METHODS, { message: `method must be one of ${SETTLEMENT_METHODS.join(', ')}` })
  method?: SettlementMethod;

  /** One of the caller's active payment methods (how they pay or are paid). */
  @ValidateIf(present) @IsUUID('all', { message: 'paymentMethodId must be a payment method id (UUID)' })
  paymentMethodId?: string;

  /** When it should be paid by: YYYY-MM-DD (the end of that day, UTC) or a date-time; not in the past. */
  @ApiPropertyOptional({ type: String, format: 'date-time' })
  @ValidateIf(present) @IsString() @Matches(DUE_DATE, { message: 'dueDate must be a date YYYY-MM-DD or an ISO 8601 date-time' })
  dueDate?: string;

  @IsOptional() @Transform(trim) @IsString() @IsNotBlank() @MaxChars(500)
  description?: string | null;

  @IsOptional() @Transform(trim) @IsString() @IsNotBlank() @MaxChars(2000)
  notes?: string | null;
}

/** GET /api/v1/settlements. */
export class ListSettlementsQueryDto extends CursorQueryDto {
  @ApiPropertyOptional({ enum: SETTLEMENT_STATUS_FILTER })
  @IsOptional() @IsIn(SETTLEMENT_STATUS_FILTER, { message: `status must be one of ${SETTLEMENT_STATUS_FILTER.join(', ')}` })
  status?: SettlementStatus;

  /** The group's settlements: all of them for its admins (read-only), the caller's own for anyone else. */
  @IsOptional() @IsUUID('all', { message: 'groupId must be a group id (UUID)' })
  groupId?: string;

  /** Only those with this other person. */
  @IsOptional() @IsUUID('all', { message: 'counterpartyId must be a user id (UUID)' })
  counterpartyId?: string;
}
