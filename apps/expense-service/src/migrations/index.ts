import { MigrationEntry } from '@tally/persistence';
import { Migration20261201000100_identity_projection_event_time } from './Migration20261201000100_identity_projection_event_time';
import { Migration20261122000100_init } from './Migration20261122000100_init';
import { Migration20261203000100_currencies_categories_and_projections } from './Migration20261203000100_currencies_categories_and_projections';
import { Migration20261203000200_expenses_shares_and_tags } from './Migration20261203000200_expenses_shares_and_tags';
import { Migration20261205000100_settlements_and_settled_shares } from './Migration20261205000100_settlements_and_settled_shares';
import { Migration20261206000100_expense_comments } from './Migration20261206000100_expense_comments';
import { Migration20261207000300_recurring_expenses } from './Migration20261207000300_recurring_expenses';
import { Migration20261207000500_budgets } from './Migration20261207000500_budgets';
import { Migration20261208000100_signing_key_token_lifetime } from './Migration20261208000100_signing_key_token_lifetime';

/** Applied in this order; never edit a shipped migration, add a new one. */
export const migrations: MigrationEntry[] = [
  { name: 'Migration20261122000100_init', class: Migration20261122000100_init },
  { name: 'Migration20261201000100_identity_projection_event_time', class: Migration20261201000100_identity_projection_event_time },
  { name: 'Migration20261203000100_currencies_categories_and_projections', class: Migration20261203000100_currencies_categories_and_projections },
  { name: 'Migration20261203000200_expenses_shares_and_tags', class: Migration20261203000200_expenses_shares_and_tags },
  { name: 'Migration20261205000100_settlements_and_settled_shares', class: Migration20261205000100_settlements_and_settled_shares },
  { name: 'Migration20261206000100_expense_comments', class: Migration20261206000100_expense_comments },
  { name: 'Migration20261207000300_recurring_expenses', class: Migration20261207000300_recurring_expenses },
  { name: 'Migration20261207000500_budgets', class: Migration20261207000500_budgets },
  { name: 'Migration20261208000100_signing_key_token_lifetime', class: Migration20261208000100_signing_key_token_lifetime },
];
