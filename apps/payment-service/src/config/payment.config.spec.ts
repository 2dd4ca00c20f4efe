import { ConfigValidationError, loadConfig } from '@tally/config';
import { PaymentServiceConfig } from './payment.config';

const env = {
  DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/tally_payment', REDIS_URL: 'redis://127.0.0.1:6379', KAFKA_BROKERS: '127.0.0.1:9092',
  SECRETS_KEY: Buffer.alloc(32, 1).toString('base64'),
};

describe('PaymentServiceConfig', () => {
  it('has its defaults', () => {
    expect(loadConfig(PaymentServiceConfig, env)).toMatchObject({ PORT: 3004, IDEMPOTENCY_PRUNE_EVERY_SECONDS: 600 });
  });

  it('refuses to start without a 32-byte SECRETS_KEY: payment details are never stored in clear', () => {
    expect(() => loadConfig(PaymentServiceConfig, { ...env, SECRETS_KEY: undefined })).toThrow(ConfigValidationError);
    expect(() => loadConfig(PaymentServiceConfig, { ...env, SECRETS_KEY: Buffer.alloc(16, 1).toString('base64') })).toThrow(ConfigValidationError);
  });
});
