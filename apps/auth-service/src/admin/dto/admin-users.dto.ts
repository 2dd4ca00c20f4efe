import { Transform } from 'class-transformer';
import { IsBoolean, IsIn, IsOptional, IsString, IsUUID, MaxLength } from 'class-validator';
import { PageQueryDto } from '@tally/service-kit';
import type { UserRole } from '../../users/user.entity';

export const USER_ROLES: readonly UserRole[] = ['user', 'premium', 'admin'];

const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);
/** Query strings carry text: "true"/"false" become booleans, anything else stays a string and is refused. */
const queryBoolean = ({ value }: { value: unknown }) => (value === 'true' ? true : value === 'false' ? false : value);

export class ListUsersQueryDto extends PageQueryDto {
  /** Part of the username or email, case-insensitive. */
  @IsOptional() @Transform(trim) @IsString() @MaxLength(254)
  search?: string;

  @IsOptional() @IsIn(USER_ROLES)
  role?: UserRole;

  @IsOptional() @Transform(queryBoolean) @IsBoolean({ message: 'isActive must be true or false' })
  isActive?: boolean;

  @IsOptional() @Transform(queryBoolean) @IsBoolean({ message: 'isVerified must be true or false' })
  isVerified?: boolean;

  /** true: locked now (account_locked_until in the future); false: not locked now. */
  @IsOptional() @Transform(queryBoolean) @IsBoolean({ message: 'locked must be true or false' })
  locked?: boolean;
}

export class UserIdParams {
  @IsUUID('all', { message: 'id must be a UUID' })
  id!: string;
}

export class ChangeRoleDto {
  @IsIn(USER_ROLES, { message: `role must be one of: ${USER_ROLES.join(', ')}` })
  role!: UserRole;
}
