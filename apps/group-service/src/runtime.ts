import { loadConfig } from '@tally/config';
import { ServiceRuntime, registerIdentityProjections } from '@tally/service-kit';
import { GroupServiceConfig } from './config/group.config';
import { Group, GroupMembership } from './groups/group.entity';
import { migrations } from './migrations';

export const SERVICE_NAME = 'group-service';
export const entities = [Group, GroupMembership];

export async function createRuntime(env = process.env): Promise<ServiceRuntime<GroupServiceConfig>> {
  const config = loadConfig(GroupServiceConfig, env);
  const runtime = await ServiceRuntime.create({ name: SERVICE_NAME, config, entities, migrations });
  registerIdentityProjections(runtime.consumer);
  return runtime;
}
