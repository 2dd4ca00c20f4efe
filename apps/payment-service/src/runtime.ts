import { loadConfig } from '@tally/config';
import { identityEntities } from '@tally/identity';
import { ServiceRuntime } from '@tally/service-kit';
import { PaymentServiceConfig } from './config/payment.config';
import { PaymentMethod } from './payment-methods/payment-method.entity';
import { migrations } from './migrations';

export const SERVICE_NAME = 'payment-service';
export const entities = [PaymentMethod, ...identityEntities];

export async function createRuntime(env = process.env): Promise<ServiceRuntime<PaymentServiceConfig>> {
  const config = loadConfig(PaymentServiceConfig, env);
  return ServiceRuntime.create({ name: SERVICE_NAME, config, entities, migrations });
}
