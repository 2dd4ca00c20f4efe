import { Module } from '@nestjs/common';
import { OutboxWriter } from '@tally/messaging';
import { IdempotencyModule } from '../idempotency/idempotency.module';
import { PaymentMethodModule } from '../payment-methods/payment-method.module';
import { PaymentMethodRepository } from '../payment-methods/payment-method.repository';
import { PaymentProviderModule } from '../providers/payment-provider.module';
import { SettlementLifecycle } from '../settlements/settlement-lifecycle';
import { SettlementModule } from '../settlements/settlement.module';
import { SettlementRepository } from '../settlements/settlement.repository';
import { PaymentTransitions } from './payment-transitions';
import { PaymentController } from './payment.controller';
import { PaymentRepository } from './payment.repository';
import { PaymentService } from './payment.service';

/** Paying settlements through providers: POST/GET /api/v1/payments. */
@Module({
  imports: [PaymentProviderModule, IdempotencyModule, PaymentMethodModule, SettlementModule],
  controllers: [PaymentController],
  providers: [
    PaymentRepository,
    PaymentService,
    {
      provide: PaymentTransitions,
      inject: [OutboxWriter, PaymentRepository, SettlementRepository, SettlementLifecycle, PaymentMethodRepository],
      useFactory: (outbox: OutboxWriter, payments: PaymentRepository, settlements: SettlementRepository, lifecycle: SettlementLifecycle, methods: PaymentMethodRepository) =>
        new PaymentTransitions(outbox, payments, settlements, lifecycle, methods),
    },
  ],
  exports: [PaymentRepository, PaymentTransitions],
})
export class PaymentModule {}
