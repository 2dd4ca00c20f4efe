import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsIn, IsOptional, IsString, Matches, ValidateBy, ValidateIf, ValidationOptions, buildMessage } from 'class-validator';
import { GROUP_TYPES, isCurrencyCode } from '@tally/contracts';
import { CursorQueryDto, IsNotBlank, MaxChars } from '@tally/service-kit';
import { present, trimText } from '../../common/params';
import type { GroupType } from '../group.entity';

const upper = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim().toUpperCase() : value);

export function IsCurrencyCode(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    { name: 'isCurrencyCode', validator: { validate: isCurrencyCode, defaultMessage: buildMessage((p) => `${p}$property must be an ISO 4217 currency code such as USD`, options) } },
    options,
  );
}

const IMAGE_PATH = /^(?!.*\.\.)(?!\/)[A-Za-z0-9_\-./]+\.(jpe?g|png|gif|webp)$/i;
const IMAGE_MESSAGE = 'image must be a relative image path such as groups/trip.png';
const TYPE_MESSAGE = `groupType must be one of ${GROUP_TYPES.join(', ')}`;

/** POST /api/v1/groups. */
export class CreateGroupDto {
  @Transform(trimText) @IsString() @IsNotBlank() @MaxChars(100)
  name!: string;

  @IsOptional() @Transform(trimText) @IsString() @IsNotBlank() @MaxChars(2000)
  description?: string | null;

  @ApiPropertyOptional({ enum: GROUP_TYPES, default: 'other' })
  @ValidateIf(present) @IsIn(GROUP_TYPES, { message: TYPE_MESSAGE })
  groupType?: GroupType;

  /** A relative image path as stored by the upload service. */
  @IsOptional() @Transform(trimText) @IsString() @MaxChars(255) @Matches(IMAGE_PATH, { message: IMAGE_MESSAGE })
  image?: string | null;

  /** The default currency: an ISO 4217 code (any case). */
  @Transform(upper) @IsString() @IsCurrencyCode()
  currency!: string;

  /** A private group can only be joined by invitation (no invite code). */
  @ValidateIf(present) @IsBoolean()
  isPrivate?: boolean;

  /** Expenses wait for an admin's approval before they count in balances (default false). */
  @ValidateIf(present) @IsBoolean()
  requiresApproval?: boolean;

  /** Suggested transfers are the fewest possible (default true) or follow who owes whom directly. */
  @ValidateIf(present) @IsBoolean()
  simplifyDebts?: boolean;
}

/** PATCH /api/v1/groups/{id}: absent fields stay; `null` clears description or image; an empty string is refused. */
export class UpdateGroupDto {
  @ValidateIf(present) @Transform(trimText) @IsString() @IsNotBlank() @MaxChars(100)
  name?: string;

  @IsOptional() @Transform(trimText) @IsString() @IsNotBlank() @MaxChars(2000)
  description?: string | null;

  @ApiPropertyOptional({ enum: GROUP_TYPES })
  @ValidateIf(present) @IsIn(GROUP_TYPES, { message: TYPE_MESSAGE })
  groupType?: GroupType;

  @IsOptional() @Transform(trimText) @IsString() @MaxChars(255) @Matches(IMAGE_PATH, { message: IMAGE_MESSAGE })
  image?: string | null;

  @ValidateIf(present) @Transform(upper) @IsString() @IsCurrencyCode()
  currency?: string;

  @ValidateIf(present) @IsBoolean()
  isPrivate?: boolean;

  @ValidateIf(present) @IsBoolean()
  requiresApproval?: boolean;

  @ValidateIf(present) @IsBoolean()
  simplifyDebts?: boolean;
}

export const GROUP_LIST_STATUSES = ['active', 'archived', 'all'] as const;

/** GET /api/v1/groups: `status` (active: not archived, the default), `q` (full-text search of name and description). */
export class ListGroupsQueryDto extends CursorQueryDto {
  @IsOptional() @IsIn(GROUP_LIST_STATUSES, { message: 'status must be one of active, archived, all' })
  status?: (typeof GROUP_LIST_STATUSES)[number];

  @IsOptional() @Transform(trimText) @IsString() @IsNotBlank() @MaxChars(200)
  q?: string;
}

/** POST /api/v1/groups/join. */
export class JoinGroupDto {
  /** 12 characters; case, spaces and dashes do not matter. */
  @IsString() @MaxChars(40)
  inviteCode!: string;
}
