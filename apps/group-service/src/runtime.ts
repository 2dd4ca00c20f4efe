import { loadConfig } from '@tally/config';
import { identityEntities } from '@tally/identity';
import { ServiceRuntime } from '@tally/service-kit';
import { GroupServiceConfig } from './config/group.config';
import { Group, GroupMembership } from './groups/group.entity';
import { migrations } from './migrations';

export const SERVICE_NAME = 'group-service';
export const entities = [Group, GroupMembership, ...identityEntities];

export async function createRuntime(env = process.env): Promise<ServiceRuntime<GroupServiceConfig>> {
  const config = loadConfig(GroupServiceConfig, env);
  return ServiceRuntime.create({ name: SERVICE_NAME, config, entities, migrations });
}
