import { MigrationEntry } from '@tally/persistence';
import { Migration20261122000100_init } from './Migration20261122000100_init';
import { Migration20261122000200_accounts } from './Migration20261122000200_accounts';
import { Migration20261122000300_people } from './Migration20261122000300_people';
import { Migration20261122000400_admin } from './Migration20261122000400_admin';
import { Migration20261201000500_signing_key_states } from './Migration20261201000500_signing_key_states';
import { Migration20261202000100_login_attempt_times_and_refresh_parents } from './Migration20261202000100_login_attempt_times_and_refresh_parents';
import { Migration20261206000100_web_push_device_tokens } from './Migration20261206000100_web_push_device_tokens';
import { Migration20261208000100_signing_key_token_lifetime } from './Migration20261208000100_signing_key_token_lifetime';

/** Applied in this order; never edit a shipped migration, add a new one. */
export const migrations: MigrationEntry[] = [
  { name: 'Migration20261122000100_init', class: Migration20261122000100_init },
  { name: 'Migration20261122000200_accounts', class: Migration20261122000200_accounts },
  { name: 'Migration20261122000300_people', class: Migration20261122000300_people },
  { name: 'Migration20261122000400_admin', class: Migration20261122000400_admin },
  { name: 'Migration20261201000500_signing_key_states', class: Migration20261201000500_signing_key_states },
  { name: 'Migration20261202000100_login_attempt_times_and_refresh_parents', class: Migration20261202000100_login_attempt_times_and_refresh_parents },
  { name: 'Migration20261206000100_web_push_device_tokens', class: Migration20261206000100_web_push_device_tokens },
  { name: 'Migration20261208000100_signing_key_token_lifetime', class: Migration20261208000100_signing_key_token_lifetime },
];
