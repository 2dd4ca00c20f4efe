import { Module } from '@nestjs/common';
import { FriendshipProjectionModule, MembershipProjectionModule } from '@tally/projections';
import { BalanceController } from '../balances/balance.controller';
import { BalanceRepository } from '../balances/balance.repository';
import { BalanceService } from '../balances/balance.service';
import { CategoryModule } from '../categories/category.module';
import { CurrencyModule } from '../currencies/currency.module';
import { GroupProjectionModule } from '../groups/group-projection.module';
import { TagRepository } from '../tags/tag.repository';
import { ExpenseController } from './expense.controller';
import { ExpenseRepository } from './expense.repository';
import { ExpenseService } from './expense.service';

/** Expenses, their shares and tags, and the balances computed from them. */
@Module({
  imports: [CurrencyModule, CategoryModule, GroupProjectionModule, MembershipProjectionModule, FriendshipProjectionModule],
  controllers: [ExpenseController, BalanceController],
  providers: [ExpenseRepository, ExpenseService, TagRepository, BalanceRepository, BalanceService],
  // comments: who may see an expense is ExpenseService's rule
  exports: [ExpenseService],
})
export class ExpenseModule {}
