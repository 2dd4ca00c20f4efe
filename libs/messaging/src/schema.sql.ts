/**
 * The messaging tables every service has in its own database. A service's first migration
 * runs this SQL, so outbox and inbox live beside the data they are transactional with.
 * Frozen: shipped migrations run it (libs/identity/src/schema.spec.ts pins its digest); a change is a
 * new `MESSAGING_SCHEMA_SQL_V2` run by new migrations.
 */
export const MESSAGING_SCHEMA_SQL = [
  `CREATE TABLE IF NOT EXISTS outbox (
    seq BIGSERIAL PRIMARY KEY,
    id UUID NOT NULL UNIQUE,
    topic VARCHAR(200) NOT NULL,
    key VARCHAR(200) NOT NULL,
    type VARCHAR(100) NOT NULL,
    payload JSONB NOT NULL,
    headers JSONB NOT NULL DEFAULT '{}'::jsonb,
    created_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),
    sent_at TIMESTAMPTZ
  )`,
  `CREATE INDEX IF NOT EXISTS idx_outbox_unsent ON outbox (seq) WHERE sent_at IS NULL`,
  `CREATE INDEX IF NOT EXISTS idx_outbox_key_unsent ON outbox (key, seq) WHERE sent_at IS NULL`,
  `CREATE INDEX IF NOT EXISTS idx_outbox_sent_at ON outbox (sent_at) WHERE sent_at IS NOT NULL`,
  `CREATE OR REPLACE FUNCTION outbox_notify() RETURNS trigger AS $$
   BEGIN PERFORM pg_notify('tally_outbox', ''); RETURN NULL; END; $$ LANGUAGE plpgsql`,
  `DROP TRIGGER IF EXISTS trg_outbox_notify ON outbox`,
  `CREATE TRIGGER trg_outbox_notify AFTER INSERT ON outbox FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify()`,
  `CREATE TABLE IF NOT EXISTS inbox (
    consumer VARCHAR(200) NOT NULL,
    event_id UUID NOT NULL,
    topic VARCHAR(200) NOT NULL,
    type VARCHAR(100) NOT NULL,
    event_time TIMESTAMPTZ,
    processed_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (consumer, event_id)
  )`,
  `CREATE INDEX IF NOT EXISTS idx_inbox_processed_at ON inbox (processed_at)`,
];

export const OUTBOX_NOTIFY_CHANNEL = 'tally_outbox';
