import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Param, Patch, Post, Query } from '@nestjs/common';
import { AuthenticatedUser, CurrentUser } from '@tally/security';
import { UuidPipe } from '../expenses/expense.controller';
import { CreateBudgetDto, ListBudgetsQueryDto, UpdateBudgetDto } from './dto/budget.dto';
import { BudgetService } from './budget.service';

/** The caller's own budgets; anyone else's is 404. */
@Controller('api/v1/budgets')
export class BudgetController {
  constructor(private readonly budgets: BudgetService) {}

  @Post()
  create(@CurrentUser() user: AuthenticatedUser, @Body() dto: CreateBudgetDto) {
    return this.budgets.create(user.id, dto);
  }

  /** Newest first, cursor pages. */
  @Get()
  list(@CurrentUser() user: AuthenticatedUser, @Query() q: ListBudgetsQueryDto) {
    return this.budgets.list(user.id, q);
  }

  @Get(':id')
  get(@CurrentUser() user: AuthenticatedUser, @Param('id', UuidPipe) id: string) {
    return this.budgets.get(user.id, id);
  }

  @Patch(':id')
  update(@CurrentUser() user: AuthenticatedUser, @Param('id', UuidPipe) id: string, @Body() dto: UpdateBudgetDto) {
    return this.budgets.update(user.id, id, dto);
  }

  /** Soft delete: the budget is no longer shown or followed. */
  @Delete(':id')
  @HttpCode(HttpStatus.NO_CONTENT)
  async remove(@CurrentUser() user: AuthenticatedUser, @Param('id', UuidPipe) id: string): Promise<void> {
    await this.budgets.remove(user.id, id);
  }
}
