import { Transform } from 'class-transformer';
import { IsOptional, IsString, IsUUID } from 'class-validator';
import { COMMENT_MAX_CHARS } from '@tally/contracts';
import { CursorQueryDto, IsNotBlank, MaxChars } from '@tally/service-kit';

const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);

/** POST /api/v1/expenses/{id}/comments. */
export class CreateCommentDto {
  /** 1 to 5000 characters, not blank (leading and trailing white space is dropped). */
  @Transform(trim) @IsString() @IsNotBlank() @MaxChars(COMMENT_MAX_CHARS)
  comment!: string;

  /** Reply to this comment (a comment on the same expense); absent or null: a comment on the expense itself. */
  @IsOptional() @IsUUID('all', { message: 'parentId must be a comment id (UUID)' })
  parentId?: string | null;
}

/** PATCH /api/v1/expenses/{id}/comments/{commentId}: the author's new text. */
export class UpdateCommentDto {
  @Transform(trim) @IsString() @IsNotBlank() @MaxChars(COMMENT_MAX_CHARS)
  comment!: string;
}

/** GET /api/v1/expenses/{id}/comments: oldest first, `?limit=` (1–100, default 20) and `?cursor=`. */
export class ListCommentsQueryDto extends CursorQueryDto {}
