import { DynamicModule, Module } from '@nestjs/common';
import { IdentityModule, identitySources } from '@tally/identity';
import { FriendshipProjectionModule, MembershipProjectionModule } from '@tally/projections';
import { ServiceKitModule, ServiceRuntime } from '@tally/service-kit';
import { IdempotencyModule } from './idempotency/idempotency.module';
import { PaymentMethodModule } from './payment-methods/payment-method.module';
import { PaymentModule } from './payments/payment.module';
import { SettlementModule } from './settlements/settlement.module';
import { PaymentWebhookModule } from './webhooks/payment-webhook.module';

@Module({})
export class AppModule {
  static forRoot(runtime: ServiceRuntime<any>): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ServiceKitModule.forRoot(runtime, identitySources(runtime.orm)), IdentityModule.forRoot(),
        MembershipProjectionModule, FriendshipProjectionModule, IdempotencyModule, PaymentMethodModule, SettlementModule, PaymentModule, PaymentWebhookModule,
      ],
    };
  }
}
