import { Migration } from '@mikro-orm/migrations';

/**
 * What shared expenses need of a group (docs/adr/0010):
 * - settings: `requires_approval` (expenses wait for an admin before they count) and `simplify_debts`
 *   (suggested transfers are the fewest possible, or follow who owes whom);
 * - `expense_count`: the group's counted expenses (a group is deleted only without any);
 * - `total_expenses`, `settled_amount` and `member_balances.balance` as NUMERIC(16,3): a currency's minor
 *   units govern its amounts (BHD has 3 decimals), like expense-service's amounts.
 * All fed by expense-service's expense.* events (ExpenseHandlers).
 */
export class Migration20261203000100_group_settings_and_expense_totals extends Migration {
  override async up(): Promise<void> {
    this.addSql(`ALTER TABLE groups
      ADD COLUMN requires_approval BOOLEAN NOT NULL DEFAULT FALSE,
      ADD COLUMN simplify_debts BOOLEAN NOT NULL DEFAULT TRUE,
      ADD COLUMN expense_count INTEGER NOT NULL DEFAULT 0 CHECK (expense_count >= 0),
      ALTER COLUMN total_expenses TYPE NUMERIC(16,3),
      ALTER COLUMN settled_amount TYPE NUMERIC(16,3)`);
    this.addSql(`ALTER TABLE member_balances ALTER COLUMN balance TYPE NUMERIC(16,3)`);
  }
}
