import { Controller, Get, Query } from '@nestjs/common';
import { AuthenticatedUser, CurrentUser } from '@tally/security';
import { PageQueryDto } from '@tally/service-kit';
import { PaymentMethodService } from './payment-method.service';

@Controller('api/v1/payment-methods')
export class PaymentMethodController {
  constructor(private readonly paymentMethods: PaymentMethodService) {}

  @Get()
  list(@CurrentUser() user: AuthenticatedUser, @Query() page: PageQueryDto) {
    return this.paymentMethods.listForUser(user.id, page.limit, page.offset);
  }
}
