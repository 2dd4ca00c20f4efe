import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { Allow, IsBoolean, IsIn, IsOptional, IsString, ValidateIf } from 'class-validator';
import { CursorQueryDto, IsNotBlank, MaxChars } from '@tally/service-kit';
import { PAYMENT_METHOD_TYPES, PaymentMethodType } from '../payment-method.entity';

const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);
const present = (_o: object, v: unknown) => v !== undefined;
/** `true`/`false` in a query string. */
const queryBoolean = ({ value }: { value: unknown }) => (value === 'true' ? true : value === 'false' ? false : value);

const DETAILS_DOC = {
  type: 'object',
  additionalProperties: true,
  description:
    'Per type (snake_case): bank `iban` or `account_number`, optional `routing_number`, `sort_code`, `bic`, `bank_name`, `account_holder_name`, `country`, `currency`; ' +
    'card `brand`, `last4`, `exp_month`, `exp_year` (required), `holder_name` — never the card number (refused); paypal/venmo `email` or `handle`; ' +
    'stripe optional `email`, `brand`, `last4`; cash none; other optional `description`. Sealed at rest; the API shows a masked copy.',
} as const;

/** POST /api/v1/payment-methods. `isVerified` is not accepted: only a provider verifies a method. */
export class CreatePaymentMethodDto {
  @ApiProperty({ enum: PAYMENT_METHOD_TYPES })
  @IsIn(PAYMENT_METHOD_TYPES, { message: `methodType must be one of ${PAYMENT_METHOD_TYPES.join(', ')}` })
  methodType!: PaymentMethodType;

  @Transform(trim) @IsString() @IsNotBlank() @MaxChars(100)
  name!: string;

  @ApiPropertyOptional(DETAILS_DOC) @Allow()
  details?: unknown;

  /** Make it the default at once (the user's first method is the default anyway). */
  @ValidateIf(present) @IsBoolean()
  isDefault?: boolean;
}

/** PATCH /api/v1/payment-methods/{id}: only the name changes; details are replaced by adding a new method. */
export class UpdatePaymentMethodDto {
  @Transform(trim) @IsString() @IsNotBlank() @MaxChars(100)
  name!: string;
}

export class ListPaymentMethodsQueryDto extends CursorQueryDto {
  /** Also deactivated methods (removed ones never). */
  @IsOptional() @Transform(queryBoolean) @IsBoolean({ message: 'includeInactive must be true or false' })
  includeInactive?: boolean;
}
