import { Controller, Get, Query } from '@nestjs/common';
import { AuthenticatedUser, CurrentUser } from '@tally/security';
import { PageQueryDto } from '@tally/service-kit';
import { AccountService } from './account.service';

@Controller('api/v1/accounts')
export class AccountController {
  constructor(private readonly accounts: AccountService) {}

  @Get()
  list(@CurrentUser() user: AuthenticatedUser, @Query() page: PageQueryDto) {
    return this.accounts.listForUser(user.id, page.limit, page.offset);
  }
}
