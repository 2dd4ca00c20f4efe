import { Migration } from '@mikro-orm/migrations';

/**
 * The finance seed's `budgets`, every column and check, as `accounts` took its table
 * (Migration20261122000100_init): the SERIAL id becomes a UUID like every other Tally key, and
 * `user_id → users` a logical reference (users live in auth's database). docs/adr/0015:
 * - `category_id` stays a foreign key to `categories` ON DELETE CASCADE (null: every category);
 * - `amount` is NUMERIC(13,3) with CHECK amount > 0: the seed's 10 integer digits, three decimals as
 *   every amount column since ADR 10 (a dinar has three; the service refuses more places than the
 *   currency has);
 * - `currency` is new (the seed has none, as `accounts` has one): a budget is in one currency, and only
 *   spending in that currency counts against it;
 * - `period` NOT NULL with the seed's default and values; `end_date` (inclusive) is not before `start_date`;
 * - `updated_at` is new; times are TIMESTAMPTZ; `deleted_at` marks a soft delete.
 */
export class Migration20261207000500_budgets extends Migration {
  override async up(): Promise<void> {
    this.addSql(`CREATE TABLE budgets (
      id UUID PRIMARY KEY,
      user_id UUID NOT NULL,
      category_id UUID REFERENCES categories(id) ON DELETE CASCADE,
      amount NUMERIC(13,3) NOT NULL CONSTRAINT check_budget_amount CHECK (amount > 0),
      currency VARCHAR(3) NOT NULL DEFAULT 'USD' CHECK (currency ~ '^[A-Z]{3}$'),
      period VARCHAR(20) NOT NULL DEFAULT 'monthly' CONSTRAINT check_budget_period CHECK (period IN ('weekly', 'monthly', 'yearly')),
      start_date DATE NOT NULL,
      end_date DATE,
      created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
      updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
      deleted_at TIMESTAMPTZ,
      CONSTRAINT check_budget_dates CHECK (end_date IS NULL OR end_date >= start_date)
    )`);
    // a user's budgets, newest first (GET /api/v1/budgets pages by (created_at, id))
    this.addSql(`CREATE INDEX idx_budget_user ON budgets (user_id, created_at DESC, id DESC) WHERE deleted_at IS NULL`);
    // the cascade from categories
    this.addSql(`CREATE INDEX idx_budget_category ON budgets (category_id) WHERE category_id IS NOT NULL`);
  }
}
