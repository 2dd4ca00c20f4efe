import { Module } from '@nestjs/common';
import { SecretBox } from '@tally/security';
import { CONFIG } from '@tally/service-kit';
import type { PaymentServiceConfig } from '../config/payment.config';
import { PaymentMethodController } from './payment-method.controller';
import { PaymentMethodRepository } from './payment-method.repository';
import { PaymentMethodService } from './payment-method.service';

/** Payment methods; exports PaymentMethodService (findUsable, markVerified, openDetails) for settlements and payments. */
@Module({
  controllers: [PaymentMethodController],
  providers: [
    PaymentMethodService,
    PaymentMethodRepository,
    { provide: SecretBox, inject: [CONFIG], useFactory: (config: Pick<PaymentServiceConfig, 'SECRETS_KEY'>) => new SecretBox(config.SECRETS_KEY) },
  ],
  exports: [PaymentMethodService, PaymentMethodRepository, SecretBox],
})
export class PaymentMethodModule {}
