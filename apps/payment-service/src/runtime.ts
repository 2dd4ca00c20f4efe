import { loadConfig } from '@tally/config';
import { ServiceRuntime, registerIdentityProjections } from '@tally/service-kit';
import { PaymentServiceConfig } from './config/payment.config';
import { PaymentMethod } from './payment-methods/payment-method.entity';
import { migrations } from './migrations';

export const SERVICE_NAME = 'payment-service';
export const entities = [PaymentMethod];

export async function createRuntime(env = process.env): Promise<ServiceRuntime<PaymentServiceConfig>> {
  const config = loadConfig(PaymentServiceConfig, env);
  const runtime = await ServiceRuntime.create({ name: SERVICE_NAME, config, entities, migrations });
  registerIdentityProjections(runtime.consumer);
  return runtime;
}
