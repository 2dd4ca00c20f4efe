import { DynamicModule, Module } from '@nestjs/common';
import { IdentityModule, identitySources } from '@tally/identity';
import { FriendshipProjectionModule, MembershipProjectionModule } from '@tally/projections';
import { ServiceKitModule, ServiceRuntime } from '@tally/service-kit';
import { AccountModule } from './accounts/account.module';
import { BudgetModule } from './budgets/budget.module';
import { CategoryModule } from './categories/category.module';
import { CommentModule } from './comments/comment.module';
import { CurrencyModule } from './currencies/currency.module';
import { ExpenseModule } from './expenses/expense.module';
import { GroupProjectionModule } from './groups/group-projection.module';
import { RecurringExpenseModule } from './recurring-expenses/recurring-expense.module';
import { SettlementModule } from './settlements/settlement.module';

@Module({})
export class AppModule {
  static forRoot(runtime: ServiceRuntime<any>): DynamicModule {
    return { module: AppModule, imports: [ServiceKitModule.forRoot(runtime, identitySources(runtime.orm)), IdentityModule.forRoot(), AccountModule, CurrencyModule, CategoryModule, GroupProjectionModule, MembershipProjectionModule, FriendshipProjectionModule, ExpenseModule, CommentModule, RecurringExpenseModule, SettlementModule, BudgetModule] };
  }
}
