import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { AuthenticatedUser, CurrentUser } from '@tally/security';
import { CreatePaymentMethodDto, ListPaymentMethodsQueryDto, UpdatePaymentMethodDto } from './dto/payment-method.dto';
import { PaymentMethodIdPipe } from './payment-method.params';
import { PaymentMethodService } from './payment-method.service';

@Controller('api/v1/payment-methods')
export class PaymentMethodController {
  constructor(private readonly paymentMethods: PaymentMethodService) {}

  @Post()
  create(@CurrentUser() user: AuthenticatedUser, @Body() dto: CreatePaymentMethodDto) {
    return this.paymentMethods.create(user.id, dto);
  }

  /** The caller's methods, the default first, then newest first; cursor pagination. */
  @Get()
  list(@CurrentUser() user: AuthenticatedUser, @Query() q: ListPaymentMethodsQueryDto) {
    return this.paymentMethods.list(user.id, q);
  }

  @Get(':id')
  get(@CurrentUser() user: AuthenticatedUser, @Param('id', PaymentMethodIdPipe) id: string) {
    return this.paymentMethods.get(user.id, id);
  }

  @Patch(':id')
  rename(@CurrentUser() user: AuthenticatedUser, @Param('id', PaymentMethodIdPipe) id: string, @Body() dto: UpdatePaymentMethodDto) {
    return this.paymentMethods.rename(user.id, id, dto);
  }

  @Post(':id/default')
  @HttpCode(200)
  makeDefault(@CurrentUser() user: AuthenticatedUser, @Param('id', PaymentMethodIdPipe) id: string) {
    return this.paymentMethods.makeDefault(user.id, id);
  }

  @Post(':id/deactivate')
  @HttpCode(200)
  deactivate(@CurrentUser() user: AuthenticatedUser, @Param('id', PaymentMethodIdPipe) id: string) {
    return this.paymentMethods.deactivate(user.id, id);
  }

  @Delete(':id')
  @HttpCode(204)
  async remove(@CurrentUser() user: AuthenticatedUser, @Param('id', PaymentMethodIdPipe) id: string): Promise<void> {
    await this.paymentMethods.remove(user.id, id);
  }
}
