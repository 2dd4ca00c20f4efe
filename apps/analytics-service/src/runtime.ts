import { loadConfig } from '@tally/config';
import { ServiceRuntime, registerIdentityProjections } from '@tally/service-kit';
import { AnalyticsServiceConfig } from './config/analytics.config';
import { ActivityLog } from './activity-logs/activity-log.entity';
import { registerWithActivityLog } from './activity-logs/activity-log.service';
import { migrations } from './migrations';

export const SERVICE_NAME = 'analytics-service';
export const entities = [ActivityLog];

export async function createRuntime(env = process.env): Promise<ServiceRuntime<AnalyticsServiceConfig>> {
  const config = loadConfig(AnalyticsServiceConfig, env);
  const runtime = await ServiceRuntime.create({ name: SERVICE_NAME, config, entities, migrations });
  // The identity projections as every service has them, each audited event type's handler also writing its
  // activity_logs row in the same transaction (and inbox record).
  registerWithActivityLog(runtime.consumer, (consumer) => registerIdentityProjections(consumer));
  return runtime;
}
