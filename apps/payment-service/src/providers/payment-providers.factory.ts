import type { Logger } from 'pino';
import { PaymentProviderConfig, sandboxEnabled } from '../config/payment-provider.config';
import { PaymentProvider, PaymentProviders } from './payment-provider';
import { SandboxProvider } from './sandbox.provider';
import { StripeProvider } from './stripe.provider';

/** The providers this configuration enables: stripe with STRIPE_SECRET_KEY, sandbox outside production (or SANDBOX_ENABLED). */
export function createPaymentProviders(c: PaymentProviderConfig, logger: Logger): PaymentProviders {
  const providers: PaymentProvider[] = [];
  if (c.STRIPE_SECRET_KEY && c.STRIPE_WEBHOOK_SECRET) {
    providers.push(new StripeProvider({ secretKey: c.STRIPE_SECRET_KEY, webhookSecret: c.STRIPE_WEBHOOK_SECRET, apiBase: c.STRIPE_API_BASE, timeoutMs: c.STRIPE_TIMEOUT_MS }));
  }
  if (sandboxEnabled(c)) {
    providers.push(new SandboxProvider({
      webhookSecret: c.SANDBOX_WEBHOOK_SECRET, webhookUrl: c.SANDBOX_WEBHOOK_URL, settleMs: c.SANDBOX_SETTLE_MS,
      logger: logger.child({ component: 'sandbox-provider' }),
    }));
  }
  logger.info({ providers: providers.map((p) => p.name), default: c.PAYMENT_PROVIDER_DEFAULT }, 'payment providers');
  return new PaymentProviders(providers, c.PAYMENT_PROVIDER_DEFAULT);
}
