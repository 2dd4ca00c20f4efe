import { Migration } from '@mikro-orm/migrations';

/**
 * `user_devices.device_token` up to 2048 characters: a web device's token is the browser's
 * PushSubscription JSON (endpoint URL and keys, about 350–600 characters; FCM's endpoints are the
 * longest), which never fit the seed's 255. APNs and FCM tokens stay limited to 255 by the API.
 * 2048, not TEXT: the token's UNIQUE index (idx_device_token) is a btree, whose entries must stay
 * under about 2700 bytes, and the API only takes printable ASCII, one byte a character.
 */
export class Migration20261206000100_web_push_device_tokens extends Migration {
  override async up(): Promise<void> {
    this.addSql(`ALTER TABLE user_devices ALTER COLUMN device_token TYPE VARCHAR(2048)`);
  }
}
