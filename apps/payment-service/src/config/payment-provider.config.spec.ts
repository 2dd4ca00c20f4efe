import { ConfigValidationError, loadConfig } from '@tally/config';
import { PaymentProviderConfig, SANDBOX_DEV_WEBHOOK_SECRET, sandboxEnabled } from './payment-provider.config';

const env = { PORT: '3004', DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/tally_payment', KAFKA_BROKERS: '127.0.0.1:9092', REDIS_URL: 'redis://127.0.0.1:6379' };

describe('PaymentProviderConfig', () => {
  it('defaults: sandbox by default and on outside production, Stripe off, webhooks retried 8 times', () => {
    const c = loadConfig(PaymentProviderConfig, env);
    expect(c).toMatchObject({
      PAYMENT_PROVIDER_DEFAULT: 'sandbox', SANDBOX_WEBHOOK_SECRET: SANDBOX_DEV_WEBHOOK_SECRET, SANDBOX_WEBHOOK_URL: 'http://127.0.0.1:8080/webhooks/sandbox',
      SANDBOX_SETTLE_MS: 1000, PAYMENT_WEBHOOK_ATTEMPTS: 8, PAYMENT_WEBHOOK_BACKOFF_MS: 1000, STRIPE_TIMEOUT_MS: 10000,
    });
    expect(c.STRIPE_SECRET_KEY).toBeUndefined();
    expect(sandboxEnabled(c)).toBe(true);
  });

  it('turns the sandbox off in production unless SANDBOX_ENABLED says otherwise', () => {
    expect(sandboxEnabled(loadConfig(PaymentProviderConfig, { ...env, NODE_ENV: 'production' }))).toBe(false);
    expect(sandboxEnabled(loadConfig(PaymentProviderConfig, { ...env, NODE_ENV: 'production', SANDBOX_ENABLED: 'true' }))).toBe(true);
    expect(sandboxEnabled(loadConfig(PaymentProviderConfig, { ...env, SANDBOX_ENABLED: 'false' }))).toBe(false);
  });

  it('needs the webhook secret with a Stripe key, and a URL for its API base', () => {
    expect(() => loadConfig(PaymentProviderConfig, { ...env, STRIPE_SECRET_KEY: 'sk_test_0123456789' })).toThrow(ConfigValidationError);
    const c = loadConfig(PaymentProviderConfig, { ...env, STRIPE_SECRET_KEY: 'sk_test_0123456789', STRIPE_WEBHOOK_SECRET: 'whsec_0123456789', STRIPE_API_BASE: 'http://127.0.0.1:12111' });
    expect(c).toMatchObject({ STRIPE_API_BASE: 'http://127.0.0.1:12111' });
    expect(() => loadConfig(PaymentProviderConfig, { ...env, STRIPE_API_BASE: 'not a url' })).toThrow(ConfigValidationError);
    expect(() => loadConfig(PaymentProviderConfig, { ...env, PAYMENT_PROVIDER_DEFAULT: 'paypal' })).toThrow(ConfigValidationError);
  });
});
