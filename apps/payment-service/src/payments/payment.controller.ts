import { Body, Controller, Get, Injectable, Param, PipeTransform, Post, Query, Res } from '@nestjs/common';
import { ApiHeader } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { AuthenticatedUser, CurrentUser } from '@tally/security';
import { IdempotencyKey, IdempotencyRequestInfo, sendIdempotent } from '../idempotency/idempotency-key.decorator';
import { CreatePaymentDto, ListPaymentsQueryDto } from './dto/payment.dto';
import { PaymentErrors } from './payment.exceptions';
import { PaymentService } from './payment.service';
import type { PaymentView } from './payment.view';

/** A path id: a UUID, lower-cased; anything else is a 400 problem (INVALID_ID). */
@Injectable()
export class PaymentIdPipe implements PipeTransform<unknown, string> {
  transform(value: unknown): string {
    if (typeof value !== 'string' || !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value)) throw PaymentErrors.invalidId();
    return value.toLowerCase();
  }
}

@Controller('api/v1/payments')
export class PaymentController {
  constructor(private readonly payments: PaymentService) {}

  /**
   * Pays a settlement you owe through a provider. `Idempotency-Key` required: the same key and body
   * answer the first answer again (`Idempotent-Replayed: true`). 503 PROVIDER_UNAVAILABLE when the
   * provider cannot be reached: nothing was made, retry with the same key.
   */
  @Post()
  @ApiHeader({ name: 'Idempotency-Key', required: true, description: '1–255 printable ASCII characters (e.g. a UUID); reuse it to retry safely for 24 hours' })
  async create(
    @CurrentUser() user: AuthenticatedUser,
    @Body() dto: CreatePaymentDto,
    @IdempotencyKey() idem: IdempotencyRequestInfo,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<PaymentView> {
    return sendIdempotent(reply, await this.payments.create(user.id, dto, idem));
  }

  /** The payments of one settlement (`settlementId` required), newest first; its payer and payee only. */
  @Get()
  list(@CurrentUser() user: AuthenticatedUser, @Query() q: ListPaymentsQueryDto) {
    return this.payments.list(user.id, q);
  }

  @Get(':id')
  get(@CurrentUser() user: AuthenticatedUser, @Param('id', PaymentIdPipe) id: string): Promise<PaymentView> {
    return this.payments.get(user.id, id);
  }
}

