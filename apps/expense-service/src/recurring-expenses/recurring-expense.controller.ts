import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { AuthenticatedUser, CurrentUser } from '@tally/security';
import { UuidPipe } from '../expenses/expense.controller';
import { CreateRecurringExpenseDto, ListRecurringExpensesQueryDto, PauseRecurringExpenseDto, UpdateRecurringExpenseDto } from './dto/recurring-expense.dto';
import { RecurringExpenseService } from './recurring-expense.service';

/** Recurring expenses (templates); expense-worker adds their occurrences as expenses. */
@Controller('api/v1/recurring-expenses')
export class RecurringExpenseController {
  constructor(private readonly recurring: RecurringExpenseService) {}

  @Post()
  create(@CurrentUser() user: AuthenticatedUser, @Body() dto: CreateRecurringExpenseDto) {
    return this.recurring.create(user.id, dto);
  }

  /** Newest first, cursor pages; active ones unless `includeInactive=true`. */
  @Get()
  list(@CurrentUser() user: AuthenticatedUser, @Query() q: ListRecurringExpensesQueryDto) {
    return this.recurring.list(user.id, q);
  }

  @Get(':id')
  get(@CurrentUser() user: AuthenticatedUser, @Param('id', UuidPipe) id: string) {
    return this.recurring.get(user.id, id);
  }

  /** Future occurrences only. */
  @Patch(':id')
  update(@CurrentUser() user: AuthenticatedUser, @Param('id', UuidPipe) id: string, @Body() dto: UpdateRecurringExpenseDto) {
    return this.recurring.update(user.id, id, dto);
  }

  @Post(':id/pause')
  @HttpCode(200)
  pause(@CurrentUser() user: AuthenticatedUser, @Param('id', UuidPipe) id: string, @Body() dto: PauseRecurringExpenseDto) {
    return this.recurring.pause(user.id, id, dto);
  }

  @Post(':id/resume')
  @HttpCode(200)
  resume(@CurrentUser() user: AuthenticatedUser, @Param('id', UuidPipe) id: string) {
    return this.recurring.resume(user.id, id);
  }

  /** Deactivates it; the expenses it generated stay. */
  @Delete(':id')
  @HttpCode(200)
  remove(@CurrentUser() user: AuthenticatedUser, @Param('id', UuidPipe) id: string) {
    return this.recurring.remove(user.id, id);
  }
}
