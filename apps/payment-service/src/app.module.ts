import { DynamicModule, Module } from '@nestjs/common';
import { IdentityModule, identitySources } from '@tally/identity';
import { ServiceKitModule, ServiceRuntime } from '@tally/service-kit';
import { PaymentMethodModule } from './payment-methods/payment-method.module';

@Module({})
export class AppModule {
  static forRoot(runtime: ServiceRuntime<any>): DynamicModule {
    return { module: AppModule, imports: [ServiceKitModule.forRoot(runtime, identitySources(runtime.orm)), IdentityModule.forRoot(), PaymentMethodModule] };
  }
}
