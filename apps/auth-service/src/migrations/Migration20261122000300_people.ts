import { Migration } from '@mikro-orm/migrations';
import { COUNTRIES } from '../people/countries.data';

const lit = (v: string | null): string => (v === null ? 'NULL' : `'${v.replace(/'/g, "''")}'`);

/**
 * People: countries (seeded), user_profiles (backfilled for existing users), user_friendships and
 * user_devices. Every seed column is here, with UUID user references (docs/adr/0002). Additions to
 * the seed: `countries.currency_code` (the default currency usable before expense-service's currency
 * ids are known here) and `user_friendships.blocked_by_id` (who blocked; only they may lift it).
 */
export class Migration20261122000300_people extends Migration {
  override async up(): Promise<void> {
    this.addSql(`CREATE TABLE countries (
      id UUID PRIMARY KEY,
      name VARCHAR(100) NOT NULL,
      code VARCHAR(2) NOT NULL CHECK (code ~ '^[A-Z]{2}$'),
      currency_id UUID,
      currency_code VARCHAR(3) CHECK (currency_code ~ '^[A-Z]{3}$'),
      phone_code VARCHAR(10) CHECK (phone_code ~ '^\\+[0-9]{1,9}$'),
      flag_emoji VARCHAR(10),
      created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
      updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
    )`);
    // The seed's UNIQUE(name) and idx_country_code; names are unique case-insensitively, as they are matched that way.
    this.addSql(`CREATE UNIQUE INDEX uq_country_name ON countries (lower(name))`);
    this.addSql(`CREATE UNIQUE INDEX idx_country_code ON countries (code)`);
    this.addSql(`CREATE INDEX idx_country_currency ON countries (currency_id)`);
    const values = COUNTRIES.map(
      (c) => `(${lit(c.id)}, ${lit(c.name)}, ${lit(c.code)}, ${lit(c.currencyCode)}, ${lit(c.phoneCode)}, ${lit(c.flagEmoji)})`,
    );
    this.addSql(`INSERT INTO countries (id, name, code, currency_code, phone_code, flag_emoji) VALUES\n${values.join(',\n')}`);

    this.addSql(`CREATE TABLE user_profiles (
      id UUID PRIMARY KEY,
      user_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
      occupation VARCHAR(100),
      company VARCHAR(100),
      website VARCHAR(200),
      country VARCHAR(50) REFERENCES countries(code) ON UPDATE CASCADE,
      city VARCHAR(50),
      social_links JSONB NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(social_links) = 'object'),
      total_expenses NUMERIC(15,2) NOT NULL DEFAULT 0 CHECK (total_expenses >= 0),
      total_groups INTEGER NOT NULL DEFAULT 0 CHECK (total_groups >= 0),
      expense_count INTEGER NOT NULL DEFAULT 0 CHECK (expense_count >= 0),
      created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
      updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
      CONSTRAINT idx_profile_user UNIQUE (user_id)
    )`);
    // Users registered before this migration get their profile now; later ones on first access.
    this.addSql(`INSERT INTO user_profiles (id, user_id) SELECT gen_random_uuid(), id FROM users ON CONFLICT (user_id) DO NOTHING`);

    this.addSql(`CREATE TABLE user_friendships (
      id UUID PRIMARY KEY,
      from_user_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
      to_user_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
      status VARCHAR(20) NOT NULL DEFAULT 'pending' CHECK (status IN ('pending','accepted','blocked','declined')),
      message TEXT CHECK (char_length(message) <= 500),
      blocked_by_id UUID REFERENCES users(id) ON DELETE CASCADE,
      created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
      updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
      CONSTRAINT check_different_users CHECK (from_user_id <> to_user_id),
      CONSTRAINT check_blocked_by CHECK (
        (status = 'blocked') = (blocked_by_id IS NOT NULL)
        AND (blocked_by_id IS NULL OR blocked_by_id = from_user_id OR blocked_by_id = to_user_id)
      )
    )`);
    // The seed's UNIQUE(from_user_id, to_user_id) is its idx_friendship_users index.
    this.addSql(`CREATE UNIQUE INDEX idx_friendship_users ON user_friendships (from_user_id, to_user_id)`);
    // One row per unordered pair: a reverse request cannot coexist with the first one.
    this.addSql(`CREATE UNIQUE INDEX uq_friendship_pair ON user_friendships (LEAST(from_user_id, to_user_id), GREATEST(from_user_id, to_user_id))`);
    this.addSql(`CREATE INDEX idx_friendship_to_user ON user_friendships (to_user_id, status)`);
    this.addSql(`CREATE INDEX idx_friendship_status ON user_friendships (status)`);

    this.addSql(`CREATE TABLE user_devices (
      id UUID PRIMARY KEY,
      user_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
      device_token VARCHAR(255) NOT NULL,
      device_type VARCHAR(20) NOT NULL CHECK (device_type IN ('ios','android','web')),
      device_name VARCHAR(100),
      is_active BOOLEAN NOT NULL DEFAULT TRUE,
      last_used TIMESTAMPTZ,
      created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
      updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
    )`);
    // The seed's UNIQUE(device_token) is its idx_device_token index.
    this.addSql(`CREATE UNIQUE INDEX idx_device_token ON user_devices (device_token)`);
    this.addSql(`CREATE INDEX idx_device_user ON user_devices (user_id, is_active)`);
  }
}
