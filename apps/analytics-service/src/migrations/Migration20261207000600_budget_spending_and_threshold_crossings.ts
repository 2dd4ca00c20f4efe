import { Migration } from '@mikro-orm/migrations';

/**
 * What analytics-service needs to follow spending against budgets (docs/adr/0015). Three new tables,
 * not the seed's `expense_analytics`: that one pre-aggregates by calendar period type, while a
 * budget's periods are anchored on its own start date (and an edited expense must move exactly its
 * own amount out of one total and into another), so per-expense rows summed on demand fit honestly.
 * - `budgets`: the projection of expense-service's budget.* events (the newest event wins).
 * - `expense_spending`: one row per expense and share owner, replaced by every expense.* event: the
 *   owner's share, the expense's currency, category and date, and whether it counts (approved, not deleted).
 * - `budget_threshold_crossings`: each (budget, period, threshold) ever reached, once: its primary key
 *   is what makes budget.threshold_crossed once-only under redelivery and concurrency. `announced`
 *   is false for 80 % passed on the way straight to 100 % (recorded, never announced).
 */
export class Migration20261207000600_budget_spending_and_threshold_crossings extends Migration {
  override async up(): Promise<void> {
    this.addSql(`CREATE TABLE budgets (
      budget_id UUID PRIMARY KEY,
      user_id UUID NOT NULL,
      category_id UUID,
      category_name VARCHAR(100),
      amount NUMERIC(13,3) NOT NULL CHECK (amount > 0),
      currency VARCHAR(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
      period VARCHAR(20) NOT NULL CHECK (period IN ('weekly', 'monthly', 'yearly')),
      start_date DATE NOT NULL,
      end_date DATE,
      is_deleted BOOLEAN NOT NULL DEFAULT FALSE,
      created_at TIMESTAMPTZ NOT NULL,
      event_time TIMESTAMPTZ NOT NULL
    )`);
    this.addSql(`CREATE INDEX idx_budget_user ON budgets (user_id, created_at DESC, budget_id DESC) WHERE NOT is_deleted`);

    this.addSql(`CREATE TABLE expense_spending (
      expense_id UUID NOT NULL,
      user_id UUID NOT NULL,
      amount NUMERIC(16,3) NOT NULL CHECK (amount >= 0),
      currency VARCHAR(3) NOT NULL,
      category_id UUID,
      expense_date DATE NOT NULL,
      counts BOOLEAN NOT NULL,
      event_time TIMESTAMPTZ NOT NULL,
      PRIMARY KEY (expense_id, user_id)
    )`);
    // a user's spending in a currency over dates (what a budget's period sums)
    this.addSql(`CREATE INDEX idx_spending_user ON expense_spending (user_id, currency, expense_date) WHERE counts`);

    this.addSql(`CREATE TABLE budget_threshold_crossings (
      budget_id UUID NOT NULL,
      period_start DATE NOT NULL,
      threshold SMALLINT NOT NULL CHECK (threshold IN (80, 100)),
      period_end DATE NOT NULL,
      spent NUMERIC(19,3) NOT NULL,
      announced BOOLEAN NOT NULL,
      crossed_at TIMESTAMPTZ NOT NULL DEFAULT now(),
      PRIMARY KEY (budget_id, period_start, threshold)
    )`);
  }
}
