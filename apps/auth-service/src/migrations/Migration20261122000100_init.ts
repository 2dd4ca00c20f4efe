import { Migration } from '@mikro-orm/migrations';
import { MESSAGING_SCHEMA_SQL } from '@tally/messaging';

/**
 * auth_user of the seed becomes `users` (ARCHITECTURE.md), with UUID ids (docs/adr/0002).
 * Every seed column is here; the behaviour behind most of them arrives with the auth domain issue.
 */
export class Migration20261122000100_init extends Migration {
  override async up(): Promise<void> {
    for (const sql of MESSAGING_SCHEMA_SQL) this.addSql(sql);
    this.addSql(`CREATE TABLE users (
      id UUID PRIMARY KEY,
      username VARCHAR(150) NOT NULL,
      email VARCHAR(254) NOT NULL,
      password VARCHAR(128) NOT NULL,
      first_name VARCHAR(150),
      last_name VARCHAR(150),
      phone_number VARCHAR(17),
      avatar VARCHAR(100),
      bio TEXT,
      date_of_birth DATE,
      preferred_currency VARCHAR(3) NOT NULL DEFAULT 'USD',
      timezone VARCHAR(50) NOT NULL DEFAULT 'UTC',
      user_notification_preferences JSONB NOT NULL DEFAULT '{}'::jsonb,
      role VARCHAR(20) NOT NULL DEFAULT 'user' CHECK (role IN ('user','premium','admin')),
      is_verified BOOLEAN NOT NULL DEFAULT FALSE,
      is_premium BOOLEAN NOT NULL DEFAULT FALSE,
      profile_visibility VARCHAR(20) NOT NULL DEFAULT 'friends' CHECK (profile_visibility IN ('public','friends','private')),
      last_login_ip INET,
      failed_login_attempts INTEGER NOT NULL DEFAULT 0 CHECK (failed_login_attempts >= 0),
      account_locked_until TIMESTAMPTZ,
      is_active BOOLEAN NOT NULL DEFAULT TRUE,
      is_staff BOOLEAN NOT NULL DEFAULT FALSE,
      is_superuser BOOLEAN NOT NULL DEFAULT FALSE,
      date_joined TIMESTAMPTZ NOT NULL DEFAULT now(),
      last_login TIMESTAMPTZ,
      created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
      updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
    )`);
    // Case-insensitive uniqueness: Bob@x.com and bob@x.com are one account.
    this.addSql(`CREATE UNIQUE INDEX idx_user_email ON users (lower(email))`);
    this.addSql(`CREATE UNIQUE INDEX idx_user_username ON users (lower(username))`);
    this.addSql(`CREATE INDEX idx_user_is_active ON users (is_active, is_verified)`);
    this.addSql(`CREATE INDEX idx_user_email_active ON users (email, is_active, is_verified)`);
    this.addSql(`CREATE TABLE email_verifications (
      id UUID PRIMARY KEY,
      user_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
      token VARCHAR(100) NOT NULL UNIQUE,
      email VARCHAR(254) NOT NULL,
      is_used BOOLEAN NOT NULL DEFAULT FALSE,
      expires_at TIMESTAMPTZ NOT NULL,
      created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
      updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
    )`);
    this.addSql(`CREATE INDEX idx_verification_user ON email_verifications (user_id, is_used)`);
    this.addSql(`CREATE TABLE signing_keys (
      kid VARCHAR(100) PRIMARY KEY,
      alg VARCHAR(10) NOT NULL CHECK (alg = 'ES256'),
      public_jwk JSONB NOT NULL,
      private_jwk JSONB NOT NULL,
      status VARCHAR(20) NOT NULL CHECK (status IN ('active','retired')),
      created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
      retired_at TIMESTAMPTZ
    )`);
    // At most one key signs at a time.
    this.addSql(`CREATE UNIQUE INDEX uq_signing_keys_one_active ON signing_keys (status) WHERE status = 'active'`);
  }
}
