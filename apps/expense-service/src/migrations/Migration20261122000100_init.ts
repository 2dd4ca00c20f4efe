import { Migration } from '@mikro-orm/migrations';
import { MESSAGING_SCHEMA_SQL } from '@tally/messaging';
import { IDENTITY_PROJECTION_SQL } from '@tally/identity';

export class Migration20261122000100_init extends Migration {
  override async up(): Promise<void> {
    for (const sql of [...MESSAGING_SCHEMA_SQL, ...IDENTITY_PROJECTION_SQL]) this.addSql(sql);
    // finance-tracker seed `accounts`: the personal ledger's accounts. The seed's SERIAL id becomes a UUID like
    // every other Tally key, and its `user_id → users` a logical reference (users live in auth's database).
    this.addSql(`CREATE TABLE accounts (
      id UUID PRIMARY KEY,
      user_id UUID NOT NULL,
      name VARCHAR(100) NOT NULL,
      account_type VARCHAR(30) CHECK (account_type IN ('checking','savings','credit_card','investment','cash','other')),
      institution VARCHAR(100),
      balance NUMERIC(12,2) NOT NULL DEFAULT 0.00,
      currency VARCHAR(3) NOT NULL DEFAULT 'USD' CHECK (currency ~ '^[A-Z]{3}$'),
      credit_limit NUMERIC(12,2),
      due_day INTEGER CHECK (due_day BETWEEN 1 AND 31),
      icon VARCHAR(10),
      color VARCHAR(7),
      display_order INTEGER NOT NULL DEFAULT 0,
      is_hidden BOOLEAN NOT NULL DEFAULT FALSE,
      created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
      updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
      deleted_at TIMESTAMPTZ
    )`);
    // The seed's `UNIQUE (user_id, name) WHERE deleted_at IS NULL` is not valid as a table constraint in PostgreSQL;
    // a partial unique index says the same (a deleted account's name can be reused). It also serves the per-user listing.
    this.addSql(`CREATE UNIQUE INDEX uq_account_user_name ON accounts (user_id, name) WHERE deleted_at IS NULL`);
  }
}
