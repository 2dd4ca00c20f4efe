import { Transform } from 'class-transformer';
import { IsIn, IsOptional, IsString, IsUUID } from 'class-validator';
import { IsNotBlank, MaxChars, PageQueryDto } from '@tally/service-kit';
import { trimText } from '../validators';

export class CreateFriendshipDto {
  @IsUUID('all', { message: 'toUserId must be a user id (UUID)' })
  toUserId!: string;

  /** Optional; null for none, never an empty string. */
  @IsOptional() @Transform(trimText) @IsString() @IsNotBlank() @MaxChars(500)
  message?: string | null;
}

export const FRIENDSHIP_LIST_STATUSES = ['pending', 'accepted', 'declined', 'blocked'] as const;

export class ListFriendshipsQueryDto extends PageQueryDto {
  @IsOptional() @IsIn(FRIENDSHIP_LIST_STATUSES, { message: 'status must be one of pending, accepted, declined, blocked' })
  status?: (typeof FRIENDSHIP_LIST_STATUSES)[number];

  /** incoming: requests others sent to me; outgoing: those I sent. */
  @IsOptional() @IsIn(['incoming', 'outgoing'], { message: 'direction must be incoming or outgoing' })
  direction?: 'incoming' | 'outgoing';
}
