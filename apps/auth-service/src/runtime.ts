import { loadConfig } from '@tally/config';
import { ServiceRuntime } from '@tally/service-kit';
import { AuthServiceConfig } from './config/auth.config';
import { SigningKey } from './keys/signing-key.entity';
import { EmailVerification, User } from './users/user.entity';
import { migrations } from './migrations';
import { accountEntities } from './users/account-entities';
import { peopleEntities } from './people/entities';
import { adminEntities } from './admin/entities';

export const SERVICE_NAME = 'auth-service';
export const entities = [User, EmailVerification, SigningKey, ...accountEntities, ...peopleEntities, ...adminEntities];

export async function createRuntime(env = process.env): Promise<ServiceRuntime<AuthServiceConfig>> {
  const config = loadConfig(AuthServiceConfig, env);
  // auth consumes no events yet; it verifies tokens against its own signing_keys table.
  return ServiceRuntime.create({ name: SERVICE_NAME, config, entities, migrations });
}
