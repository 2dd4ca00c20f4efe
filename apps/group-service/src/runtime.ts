import { loadConfig } from '@tally/config';
import { ServiceRuntime } from '@tally/service-kit';
import { GroupServiceConfig } from './config/group.config';
import { entities } from './entities';
import { migrations } from './migrations';

export const SERVICE_NAME = 'group-service';
export { entities };

export async function createRuntime(env = process.env): Promise<ServiceRuntime<GroupServiceConfig>> {
  const config = loadConfig(GroupServiceConfig, env);
  return ServiceRuntime.create({ name: SERVICE_NAME, config, entities, migrations });
}
