import { Migration } from '@mikro-orm/migrations';

/** Refresh tokens (rotated, in families), password resets, and login throttling for unknown logins. */
export class Migration20261122000200_accounts extends Migration {
  override async up(): Promise<void> {
    this.addSql(`CREATE TABLE refresh_tokens (
      id UUID PRIMARY KEY,
      user_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
      family_id UUID NOT NULL,
      parent_id UUID REFERENCES refresh_tokens(id) ON DELETE SET NULL,
      token_hash VARCHAR(64) NOT NULL UNIQUE,
      created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
      expires_at TIMESTAMPTZ NOT NULL,
      used_at TIMESTAMPTZ,
      revoked_at TIMESTAMPTZ,
      revoked_reason VARCHAR(30) CHECK (revoked_reason IN ('logout','reuse_detected','password_changed','password_reset','deactivated','admin')),
      ip INET,
      user_agent VARCHAR(300)
    )`);
    this.addSql(`CREATE INDEX idx_refresh_family ON refresh_tokens (family_id)`);
    this.addSql(`CREATE INDEX idx_refresh_user_live ON refresh_tokens (user_id) WHERE revoked_at IS NULL`);
    this.addSql(`CREATE TABLE password_resets (
      id UUID PRIMARY KEY,
      user_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
      token_hash VARCHAR(64) NOT NULL UNIQUE,
      expires_at TIMESTAMPTZ NOT NULL,
      used_at TIMESTAMPTZ,
      created_at TIMESTAMPTZ NOT NULL DEFAULT now()
    )`);
    this.addSql(`CREATE INDEX idx_password_reset_user ON password_resets (user_id) WHERE used_at IS NULL`);
    // Failures for logins that match no account, so a locked answer never reveals whether one exists.
    this.addSql(`CREATE TABLE login_throttles (
      login_hash VARCHAR(64) PRIMARY KEY,
      failed_attempts INTEGER NOT NULL DEFAULT 0 CHECK (failed_attempts >= 0),
      locked_until TIMESTAMPTZ,
      updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
    )`);
    this.addSql(`CREATE INDEX idx_login_throttles_updated ON login_throttles (updated_at)`);
  }
}
