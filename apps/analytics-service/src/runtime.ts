import { loadConfig } from '@tally/config';
import { identityEntities } from '@tally/identity';
import { ServiceRuntime } from '@tally/service-kit';
import { AnalyticsServiceConfig } from './config/analytics.config';
import { ActivityLog } from './activity-logs/activity-log.entity';
import { migrations } from './migrations';

export const SERVICE_NAME = 'analytics-service';
export const entities = [ActivityLog, ...identityEntities];

export async function createRuntime(env = process.env): Promise<ServiceRuntime<AnalyticsServiceConfig>> {
  const config = loadConfig(AnalyticsServiceConfig, env);
  return ServiceRuntime.create({ name: SERVICE_NAME, config, entities, migrations });
}
