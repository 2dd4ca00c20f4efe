import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsISO8601, IsOptional, IsString, Matches, ValidateIf } from 'class-validator';
import { CursorQueryDto, IsEmailAddress, IsNotBlank, MaxChars, asciiEmailDomain } from '@tally/service-kit';
import { present, trimText } from '../../common/params';

const compactPhone = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.replace(/[\s().-]/g, '') : value);
/** Lower-cased, an internationalized domain as its ASCII (punycode) form, as auth stores addresses. */
const lower = ({ value }: { value: unknown }) => (typeof value === 'string' ? asciiEmailDomain(value.trim().toLowerCase()) : value);

/** POST /api/v1/groups/{id}/invitations: exactly one of email and phoneNumber. */
export class CreateInvitationDto {
  @ValidateIf(present) @Transform(lower) @IsString() @MaxChars(254) @IsEmailAddress()
  email?: string;

  /** E.164; spaces, dots, dashes and brackets are dropped. */
  @ValidateIf(present) @Transform(compactPhone) @IsString()
  @Matches(/^\+[1-9]\d{6,14}$/, { message: 'phoneNumber must be an international number like +4930123456 (E.164)' })
  phoneNumber?: string;

  @IsOptional() @Transform(trimText) @IsString() @IsNotBlank() @MaxChars(500)
  message?: string | null;

  /** When it expires by itself: in the future, at most 30 days ahead; 7 days when absent. */
  @ApiPropertyOptional({ type: String, format: 'date-time' })
  @ValidateIf(present) @IsString() @IsISO8601({ strict: true, strictSeparator: true }, { message: 'expiresAt must be an ISO 8601 date-time such as 2030-01-31T12:00:00Z' })
  expiresAt?: string;
}

export const INVITATION_LIST_STATUSES = ['pending', 'all'] as const;

/** GET /api/v1/groups/{id}/invitations. */
export class ListInvitationsQueryDto extends CursorQueryDto {
  @IsOptional() @IsIn(INVITATION_LIST_STATUSES, { message: 'status must be pending or all' })
  status?: (typeof INVITATION_LIST_STATUSES)[number];
}
