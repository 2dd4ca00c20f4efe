import { Migration } from '@mikro-orm/migrations';

/** `system_configurations` of the seed, every column; the data types the admin API reads values as. */
export class Migration20261122000400_admin extends Migration {
  override async up(): Promise<void> {
    this.addSql(`CREATE TABLE system_configurations (
      id UUID PRIMARY KEY,
      key VARCHAR(100) NOT NULL CHECK (key ~ '^[A-Za-z0-9][A-Za-z0-9._-]*$'),
      value TEXT NOT NULL,
      data_type VARCHAR(20) NOT NULL DEFAULT 'string' CHECK (data_type IN ('string','integer','decimal','boolean','json')),
      description TEXT,
      is_sensitive BOOLEAN NOT NULL DEFAULT FALSE,
      created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
      updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
    )`);
    // The seed's UNIQUE (key) and idx_config_key ON (key) are one index.
    this.addSql(`CREATE UNIQUE INDEX idx_config_key ON system_configurations (key)`);
  }
}
