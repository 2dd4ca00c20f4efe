import { Migration } from '@mikro-orm/migrations';

/**
 * The seed's `recurring_expenses` (templates) with its checks and three indexes, mapped as `expenses`
 * was (docs/adr/0010, 0014): UUID ids; users and groups are logical references (no cross-database
 * foreign key); amounts NUMERIC(16,3), as a currency's minor units govern them (JPY 0 places, BHD 3;
 * the service refuses more places than the currency has), with `currency` (the ISO code) beside
 * `currency_id`. Beyond the seed:
 * - `next_occurrence_index`: `next_due_date` is always occurrence(start_date, frequency, interval, it)
 *   (libs/money schedule.ts: from the anchor, never from the previous date, so dates never drift);
 * - `participant_ids`: the payer and everyone in the split (who may see a template outside groups);
 * - `deactivated_reason`: why expense-worker stopped a template that can no longer generate;
 * - `recurring_expense_occurrences`: PRIMARY KEY (recurring_expense_id, occurrence_index) holding the
 *   expense generated for it, so an occurrence is never generated twice, even by two workers at once.
 * Generated expenses are ordinary `expenses` rows with `is_recurring` and `parent_expense_id` (the
 * template's first generated expense), as the seed meant them.
 */
export class Migration20261207000300_recurring_expenses extends Migration {
  override async up(): Promise<void> {
    this.addSql(`CREATE TABLE recurring_expenses (
      id UUID PRIMARY KEY,
      title VARCHAR(200) NOT NULL,
      description TEXT,
      amount NUMERIC(16,3) NOT NULL,
      currency_id UUID NOT NULL REFERENCES currencies(id),
      currency VARCHAR(3) NOT NULL,
      category_id UUID REFERENCES categories(id),
      frequency VARCHAR(20) NOT NULL,
      "interval" INTEGER NOT NULL DEFAULT 1,
      group_id UUID,
      created_by_id UUID NOT NULL,
      paid_by_id UUID NOT NULL,
      participant_ids UUID[] NOT NULL DEFAULT '{}',
      start_date DATE NOT NULL,
      end_date DATE,
      next_due_date DATE NOT NULL,
      next_occurrence_index INTEGER NOT NULL DEFAULT 0,
      split_type VARCHAR(20) NOT NULL DEFAULT 'equal',
      split_data JSONB NOT NULL DEFAULT '{}'::jsonb,
      is_active BOOLEAN NOT NULL DEFAULT TRUE,
      is_paused BOOLEAN NOT NULL DEFAULT FALSE,
      paused_until DATE,
      deactivated_reason VARCHAR(100),
      created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
      updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
      CONSTRAINT check_recurring_positive_amount CHECK (amount > 0),
      CONSTRAINT check_recurring_interval CHECK ("interval" > 0 AND "interval" <= 1000),
      CONSTRAINT check_recurring_frequency CHECK (frequency IN ('daily', 'weekly', 'biweekly', 'monthly', 'yearly')),
      CONSTRAINT check_recurring_split_type CHECK (split_type IN ('equal', 'exact', 'percentage', 'shares', 'adjustment', 'itemized')),
      CONSTRAINT check_recurring_end_date CHECK (end_date IS NULL OR end_date >= start_date),
      CONSTRAINT check_recurring_next_due CHECK (next_due_date >= start_date AND next_occurrence_index >= 0),
      CONSTRAINT check_recurring_paused_until CHECK (paused_until IS NULL OR is_paused)
    )`);
    this.addSql(`CREATE INDEX idx_recurring_next_active ON recurring_expenses (next_due_date, is_active)`);
    this.addSql(`CREATE INDEX idx_recurring_group_active ON recurring_expenses (group_id, is_active)`);
    this.addSql(`CREATE INDEX idx_recurring_creator_active ON recurring_expenses (created_by_id, is_active)`);
    this.addSql(`CREATE INDEX idx_recurring_participants ON recurring_expenses USING gin (participant_ids)`);

    this.addSql(`CREATE TABLE recurring_expense_occurrences (
      recurring_expense_id UUID NOT NULL REFERENCES recurring_expenses(id),
      occurrence_index INTEGER NOT NULL CHECK (occurrence_index >= 0),
      occurrence_date DATE NOT NULL,
      expense_id UUID NOT NULL UNIQUE REFERENCES expenses(id),
      created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
      PRIMARY KEY (recurring_expense_id, occurrence_index)
    )`);
  }
}
