import { Controller, Get, Query } from '@nestjs/common';
import { AuthenticatedUser, CurrentUser } from '@tally/security';
import { CursorQueryDto } from '@tally/service-kit';
import { BudgetTrackingService } from './budget-tracking.service';

/** The caller's own budgets and how each stands in its current period; nobody else's. */
@Controller('api/v1/analytics/budgets')
export class BudgetTrackingController {
  constructor(private readonly budgets: BudgetTrackingService) {}

  /** Newest first, cursor pages. */
  @Get()
  list(@CurrentUser() user: AuthenticatedUser, @Query() q: CursorQueryDto) {
    return this.budgets.listForUser(user.id, q);
  }
}
