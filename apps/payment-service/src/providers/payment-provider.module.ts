import { Injectable, Module, OnModuleDestroy } from '@nestjs/common';
import { ServiceRuntime } from '@tally/service-kit';
import type { PaymentProviderConfig } from '../config/payment-provider.config';
import { PaymentProviders } from './payment-provider';
import { createPaymentProviders } from './payment-providers.factory';
import { SandboxProvider } from './sandbox.provider';

/** Stops the sandbox's pending deliveries when the service stops. */
@Injectable()
class ProviderShutdown implements OnModuleDestroy {
  constructor(private readonly providers: PaymentProviders) {}

  onModuleDestroy(): void {
    const sandbox = this.providers.get('sandbox');
    if (sandbox instanceof SandboxProvider) sandbox.close();
  }
}

/** The enabled payment providers (`PaymentProviders`), built once from the service's config. */
@Module({
  providers: [
    {
      provide: PaymentProviders,
      inject: [ServiceRuntime],
      useFactory: (runtime: ServiceRuntime<PaymentProviderConfig>) => createPaymentProviders(runtime.config, runtime.logger),
    },
    ProviderShutdown,
  ],
  exports: [PaymentProviders],
})
export class PaymentProviderModule {}
