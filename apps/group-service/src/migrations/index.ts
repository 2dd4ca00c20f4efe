import { MigrationEntry } from '@tally/persistence';
import { Migration20261201000100_identity_projection_event_time } from './Migration20261201000100_identity_projection_event_time';
import { Migration20261122000100_init } from './Migration20261122000100_init';
import { Migration20261202000100_group_domain } from './Migration20261202000100_group_domain';
import { Migration20261203000100_group_settings_and_expense_totals } from './Migration20261203000100_group_settings_and_expense_totals';
import { Migration20261205000100_applied_settlements } from './Migration20261205000100_applied_settlements';
import { Migration20261208000100_signing_key_token_lifetime } from './Migration20261208000100_signing_key_token_lifetime';
import { Migration20261209000100_group_list_notify } from './Migration20261209000100_group_list_notify';

/** Applied in this order; never edit a shipped migration, add a new one. */
export const migrations: MigrationEntry[] = [
  { name: 'Migration20261122000100_init', class: Migration20261122000100_init },
  { name: 'Migration20261201000100_identity_projection_event_time', class: Migration20261201000100_identity_projection_event_time },
  { name: 'Migration20261202000100_group_domain', class: Migration20261202000100_group_domain },
  { name: 'Migration20261203000100_group_settings_and_expense_totals', class: Migration20261203000100_group_settings_and_expense_totals },
  { name: 'Migration20261205000100_applied_settlements', class: Migration20261205000100_applied_settlements },
  { name: 'Migration20261208000100_signing_key_token_lifetime', class: Migration20261208000100_signing_key_token_lifetime },
  { name: 'Migration20261209000100_group_list_notify', class: Migration20261209000100_group_list_notify },
];
