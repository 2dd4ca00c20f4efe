import { loadConfig } from '@tally/config';
import { ServiceRuntime } from '@tally/service-kit';
import { PaymentServiceConfig } from './config/payment.config';
import { entities } from './entities';
import { migrations } from './migrations';

export const SERVICE_NAME = 'payment-service';
export { entities };

export async function createRuntime(env = process.env): Promise<ServiceRuntime<PaymentServiceConfig>> {
  const config = loadConfig(PaymentServiceConfig, env);
  return ServiceRuntime.create({ name: SERVICE_NAME, config, entities, migrations });
}
