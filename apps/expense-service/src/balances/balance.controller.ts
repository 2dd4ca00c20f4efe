import { Controller, Get, Param, Query } from '@nestjs/common';
import { AuthenticatedUser, CurrentUser } from '@tally/security';
import { ConvertedBalancesQueryDto, ExplainBalanceQueryDto, GroupBalancesQueryDto } from '../expenses/dto/expense.dto';
import { UuidPipe } from '../expenses/expense.controller';
import { BalanceService } from './balance.service';

@Controller('api/v1/balances')
export class BalanceController {
  constructor(private readonly balances: BalanceService) {}

  /** My balances per currency: totals, per group, per friend outside groups. */
  @Get()
  mine(@CurrentUser() user: AuthenticatedUser) {
    return this.balances.mine(user.id);
  }

  /** A group's balances per member and currency, with suggested transfers. */
  @Get('groups/:groupId')
  group(@CurrentUser() user: AuthenticatedUser, @Param('groupId', UuidPipe) groupId: string, @Query() q: GroupBalancesQueryDto) {
    return this.balances.group(user.id, groupId, q.simplify === undefined ? undefined : q.simplify === 'true');
  }

  /** Why a member's balance is what it is: the expenses that made it, and their suggested transfers. */
  @Get('groups/:groupId/members/:userId')
  explain(@CurrentUser() user: AuthenticatedUser, @Param('groupId', UuidPipe) groupId: string, @Param('userId', UuidPipe) userId: string, @Query() q: ExplainBalanceQueryDto) {
    return this.balances.explain(user.id, groupId, userId, q.currency, q.limit);
  }

  /** The group's balances in one currency (`?currency=USD&rates=latest|expense`), naming the rates used; they still sum to zero. */
  @Get('groups/:groupId/converted')
  converted(@CurrentUser() user: AuthenticatedUser, @Param('groupId', UuidPipe) groupId: string, @Query() q: ConvertedBalancesQueryDto) {
    return this.balances.groupConverted(user.id, groupId, q.currency, q.rates ?? 'latest');
  }
}
