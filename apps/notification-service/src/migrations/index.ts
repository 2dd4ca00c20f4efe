import { MigrationEntry } from '@tally/persistence';
import { Migration20261201000100_identity_projection_event_time } from './Migration20261201000100_identity_projection_event_time';
import { Migration20261122000600_init } from './Migration20261122000600_init';
import { Migration20261202000200_notification_without_account } from './Migration20261202000200_notification_without_account';
import { Migration20261206000100_notifications_from_events } from './Migration20261206000100_notifications_from_events';
import { Migration20261206000300_group_members_projection } from './Migration20261206000300_group_members_projection';
import { Migration20261206000400_deliveries_and_push_devices } from './Migration20261206000400_deliveries_and_push_devices';
import { Migration20261206000500_notification_template_defaults } from './Migration20261206000500_notification_template_defaults';
import { Migration20261206000700_group_notification_settings } from './Migration20261206000700_group_notification_settings';
import { Migration20261206000900_user_phone_numbers } from './Migration20261206000900_user_phone_numbers';
import { Migration20261206000950_sms_deliveries_without_account } from './Migration20261206000950_sms_deliveries_without_account';
import { Migration20261206001000_email_tracking } from './Migration20261206001000_email_tracking';
import { Migration20261206001300_sms_status_callbacks } from './Migration20261206001300_sms_status_callbacks';
import { Migration20261208000100_signing_key_token_lifetime } from './Migration20261208000100_signing_key_token_lifetime';

/** Applied in this order; never edit a shipped migration, add a new one. */
export const migrations: MigrationEntry[] = [
  { name: 'Migration20261122000600_init', class: Migration20261122000600_init },
  { name: 'Migration20261201000100_identity_projection_event_time', class: Migration20261201000100_identity_projection_event_time },
  { name: 'Migration20261202000200_notification_without_account', class: Migration20261202000200_notification_without_account },
  { name: 'Migration20261206000100_notifications_from_events', class: Migration20261206000100_notifications_from_events },
  { name: 'Migration20261206000300_group_members_projection', class: Migration20261206000300_group_members_projection },
  { name: 'Migration20261206000400_deliveries_and_push_devices', class: Migration20261206000400_deliveries_and_push_devices },
  { name: 'Migration20261206000500_notification_template_defaults', class: Migration20261206000500_notification_template_defaults },
  { name: 'Migration20261206000700_group_notification_settings', class: Migration20261206000700_group_notification_settings },
  { name: 'Migration20261206000900_user_phone_numbers', class: Migration20261206000900_user_phone_numbers },
  { name: 'Migration20261206000950_sms_deliveries_without_account', class: Migration20261206000950_sms_deliveries_without_account },
  { name: 'Migration20261206001000_email_tracking', class: Migration20261206001000_email_tracking },
  { name: 'Migration20261206001300_sms_status_callbacks', class: Migration20261206001300_sms_status_callbacks },
  { name: 'Migration20261208000100_signing_key_token_lifetime', class: Migration20261208000100_signing_key_token_lifetime },
];
