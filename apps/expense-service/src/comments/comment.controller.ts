import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Param, Patch, Post, Query } from '@nestjs/common';
import { AuthenticatedUser, CurrentUser } from '@tally/security';
import { UuidPipe } from '../expenses/expense.controller';
import { CreateCommentDto, ListCommentsQueryDto, UpdateCommentDto } from './dto/comment.dto';
import { CommentService } from './comment.service';

/** The comments on an expense: whoever may see the expense reads them (see CommentService for who writes). */
@Controller('api/v1/expenses/:id/comments')
export class CommentController {
  constructor(private readonly comments: CommentService) {}

  /** Oldest first, cursor pages. */
  @Get()
  list(@CurrentUser() user: AuthenticatedUser, @Param('id', UuidPipe) id: string, @Query() q: ListCommentsQueryDto) {
    return this.comments.list(user.id, id, q);
  }

  @Post()
  create(@CurrentUser() user: AuthenticatedUser, @Param('id', UuidPipe) id: string, @Body() dto: CreateCommentDto) {
    return this.comments.create(user.id, id, dto);
  }

  /** The author only: sets isEdited and editedAt. */
  @Patch(':commentId')
  update(@CurrentUser() user: AuthenticatedUser, @Param('id', UuidPipe) id: string, @Param('commentId', UuidPipe) commentId: string, @Body() dto: UpdateCommentDto) {
    return this.comments.update(user.id, id, commentId, dto);
  }

  /** The author or a group admin; the replies stay, as comments on the expense. */
  @Delete(':commentId')
  @HttpCode(HttpStatus.NO_CONTENT)
  async remove(@CurrentUser() user: AuthenticatedUser, @Param('id', UuidPipe) id: string, @Param('commentId', UuidPipe) commentId: string): Promise<void> {
    await this.comments.remove(user.id, id, commentId);
  }
}
