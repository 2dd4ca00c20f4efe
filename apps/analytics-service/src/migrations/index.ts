import { MigrationEntry } from '@tally/persistence';
import { Migration20261201000100_identity_projection_event_time } from './Migration20261201000100_identity_projection_event_time';
import { Migration20261122000100_init } from './Migration20261122000100_init';
import { Migration20261207000600_budget_spending_and_threshold_crossings } from './Migration20261207000600_budget_spending_and_threshold_crossings';
import { Migration20261208000100_signing_key_token_lifetime } from './Migration20261208000100_signing_key_token_lifetime';

/** Applied in this order; never edit a shipped migration, add a new one. */
export const migrations: MigrationEntry[] = [
  { name: 'Migration20261122000100_init', class: Migration20261122000100_init },
  { name: 'Migration20261201000100_identity_projection_event_time', class: Migration20261201000100_identity_projection_event_time },
  { name: 'Migration20261207000600_budget_spending_and_threshold_crossings', class: Migration20261207000600_budget_spending_and_threshold_crossings },
  { name: 'Migration20261208000100_signing_key_token_lifetime', class: Migration20261208000100_signing_key_token_lifetime },
];
