/**
 * The tables of the identity projections, as the migrations of every service that keeps them run them.
 *
 * Frozen: shipped migrations run these exact statements, so a constant here never changes once released
 * (`schema.spec.ts` pins each one's digest). A change to the projection is a new `_Vn` constant that each
 * service's new migration runs.
 */

/** v1: the users projection and the signing keys. Run by each service's first migration. */
export const IDENTITY_PROJECTION_SQL = [
  `CREATE TABLE IF NOT EXISTS users (
    id UUID PRIMARY KEY,
    username VARCHAR(150) NOT NULL,
    first_name VARCHAR(150),
    last_name VARCHAR(150),
    email VARCHAR(254),
    email_verified BOOLEAN NOT NULL DEFAULT FALSE,
    is_active BOOLEAN NOT NULL DEFAULT TRUE,
    preferred_currency VARCHAR(3),
    timezone VARCHAR(50),
    date_joined TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
  )`,
  `CREATE TABLE IF NOT EXISTS signing_keys (
    kid VARCHAR(100) PRIMARY KEY,
    alg VARCHAR(10) NOT NULL,
    public_jwk JSONB NOT NULL,
    status VARCHAR(20) NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    received_at TIMESTAMPTZ NOT NULL DEFAULT now()
  )`,
] as const;

/**
 * v2: the time of the newest event each row reflects, so an older event arriving later (a DLQ replay, a
 * reset consumer group) never rolls a projection back.
 */
export const IDENTITY_PROJECTION_SQL_V2 = [
  `ALTER TABLE users ADD COLUMN IF NOT EXISTS last_event_at TIMESTAMPTZ`,
  `ALTER TABLE signing_keys ADD COLUMN IF NOT EXISTS last_event_at TIMESTAMPTZ`,
] as const;

/**
 * v3: the access-token lifetime auth publishes with each signing key (`tokenLifetimeSeconds`), so a
 * retired key verifies for as long as its tokens can live, whatever auth's ACCESS_TOKEN_TTL_SECONDS is.
 * NULL: announced by an auth older than the field (the reader's default applies).
 */
export const IDENTITY_PROJECTION_SQL_V3 = [
  `ALTER TABLE signing_keys ADD COLUMN IF NOT EXISTS token_lifetime_seconds INTEGER`,
] as const;
