import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Injectable, Param, Patch, PipeTransform, Post, Query } from '@nestjs/common';
import { AuthenticatedUser, CurrentUser } from '@tally/security';
import { DomainException } from '@tally/service-kit';
import { CreateExpenseDto, ListExpensesQueryDto, UpdateExpenseDto } from './dto/expense.dto';
import { ExpenseService } from './expense.service';

/** A path id: a UUID, lower-cased; anything else is a 400 problem with code INVALID_ID. */
@Injectable()
export class UuidPipe implements PipeTransform<unknown, string> {
  transform(value: unknown): string {
    if (typeof value !== 'string' || !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value)) {
      throw new DomainException('INVALID_ID', 'id must be a UUID.', HttpStatus.BAD_REQUEST);
    }
    return value.toLowerCase();
  }
}

@Controller('api/v1/expenses')
export class ExpenseController {
  constructor(private readonly expenses: ExpenseService) {}

  @Post()
  create(@CurrentUser() user: AuthenticatedUser, @Body() dto: CreateExpenseDto) {
    return this.expenses.create(user.id, dto);
  }

  @Get()
  list(@CurrentUser() user: AuthenticatedUser, @Query() q: ListExpensesQueryDto) {
    return this.expenses.list(user.id, q);
  }

  @Get(':id')
  get(@CurrentUser() user: AuthenticatedUser, @Param('id', UuidPipe) id: string) {
    return this.expenses.get(user.id, id);
  }

  @Patch(':id')
  update(@CurrentUser() user: AuthenticatedUser, @Param('id', UuidPipe) id: string, @Body() dto: UpdateExpenseDto) {
    return this.expenses.update(user.id, id, dto);
  }

  /** Soft delete: the expense leaves the balances; restore brings it back. */
  @Delete(':id')
  @HttpCode(200)
  remove(@CurrentUser() user: AuthenticatedUser, @Param('id', UuidPipe) id: string) {
    return this.expenses.remove(user.id, id);
  }

  @Post(':id/restore')
  @HttpCode(200)
  restore(@CurrentUser() user: AuthenticatedUser, @Param('id', UuidPipe) id: string) {
    return this.expenses.restore(user.id, id);
  }

  @Post(':id/approve')
  @HttpCode(200)
  approve(@CurrentUser() user: AuthenticatedUser, @Param('id', UuidPipe) id: string) {
    return this.expenses.approve(user.id, id);
  }
}
