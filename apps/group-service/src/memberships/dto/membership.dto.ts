import { ApiProperty } from '@nestjs/swagger';
import { IsBoolean, IsIn, ValidateIf } from 'class-validator';
import { GROUP_ROLES } from '@tally/contracts';
import { present } from '../../common/params';
import type { GroupRole } from '../membership.entity';

/** PATCH /api/v1/groups/{id}/members/{userId}. */
export class ChangeRoleDto {
  @ApiProperty({ enum: GROUP_ROLES })
  @IsIn(GROUP_ROLES, { message: 'role must be one of admin, member, viewer' })
  role!: GroupRole;
}

/**
 * PATCH /api/v1/groups/{id}/members/me/preferences: the given keys are merged into the member's
 * preferences for this group; each is true (notify) or false. A missing key means true.
 */
export class UpdatePreferencesDto {
  @ValidateIf(present) @IsBoolean() expenses?: boolean;
  @ValidateIf(present) @IsBoolean() comments?: boolean;
  @ValidateIf(present) @IsBoolean() settlements?: boolean;
  @ValidateIf(present) @IsBoolean() members?: boolean;
  /** Silences the group altogether. */
  @ValidateIf(present) @IsBoolean() muted?: boolean;
}
