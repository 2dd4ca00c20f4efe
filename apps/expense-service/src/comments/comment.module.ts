import { Module } from '@nestjs/common';
import { ExpenseModule } from '../expenses/expense.module';
import { GroupProjectionModule } from '../groups/group-projection.module';
import { CommentController } from './comment.controller';
import { CommentRepository } from './comment.repository';
import { CommentService } from './comment.service';

/** Comments on expenses (the seed's `expense_comments`) and their comment.* events. */
@Module({
  imports: [ExpenseModule, GroupProjectionModule],
  controllers: [CommentController],
  providers: [CommentRepository, CommentService],
})
export class CommentModule {}
