import { Migration } from '@mikro-orm/migrations';

/**
 * The seed's `tags`, `expenses`, `expense_shares` and `expense_tags`, with their checks and indexes,
 * and what shared expenses need beyond the seed (docs/adr/0010):
 * - amounts are NUMERIC(16,3), not (15,2): a currency's minor units govern them (BHD, KWD have 3
 *   decimals; the service refuses more places than the currency has), with the same 13 integer digits;
 * - `currency` (ISO code beside `currency_id`) and `exchange_rate_to_usd` (the rate snapshotted when the
 *   expense was saved, so a converted view can replay it);
 * - `expense_payers`: several payers, their amounts summing exactly to the expense; `paid_by_id` stays
 *   the main payer (the largest, ties by id) and `expense_shares.paid_by_id` likewise;
 * - `split_type` adds `itemized` (items, tax and tip in `split_data`, stored as exact shares);
 * - `expense_date <= CURRENT_DATE + 1` is the database's backstop; the service checks the payer's own
 *   date (their time zone), which can be a day ahead of the server's;
 * - `tags.usage_count` is kept exact by a trigger on `expense_tags` (delta per row, like member_count).
 */
export class Migration20261203000200_expenses_shares_and_tags extends Migration {
  override async up(): Promise<void> {
    // The group settings expenses follow (group.* events carry them).
    this.addSql(`ALTER TABLE expense_groups ADD COLUMN requires_approval BOOLEAN NOT NULL DEFAULT FALSE, ADD COLUMN simplify_debts BOOLEAN NOT NULL DEFAULT TRUE`);
    this.addSql(`CREATE TABLE tags (
      id UUID PRIMARY KEY,
      name VARCHAR(50) NOT NULL,
      color VARCHAR(7) NOT NULL DEFAULT '#6c757d' CHECK (color ~ '^#[0-9a-fA-F]{6}$'),
      description TEXT,
      usage_count INTEGER NOT NULL DEFAULT 0 CHECK (usage_count >= 0),
      created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
      updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
      CONSTRAINT idx_tag_name UNIQUE (name)
    )`);
    this.addSql(`CREATE INDEX idx_tag_usage ON tags (usage_count DESC)`);

    this.addSql(`CREATE TABLE expenses (
      id UUID PRIMARY KEY,
      title VARCHAR(200) NOT NULL,
      description TEXT,
      amount NUMERIC(16,3) NOT NULL,
      currency_id UUID NOT NULL REFERENCES currencies(id),
      currency VARCHAR(3) NOT NULL,
      exchange_rate_to_usd NUMERIC(20,10),
      category_id UUID REFERENCES categories(id),
      expense_type VARCHAR(20) NOT NULL DEFAULT 'individual' CHECK (expense_type IN ('individual', 'group', 'recurring')),
      group_id UUID,
      paid_by_id UUID NOT NULL,
      expense_date DATE NOT NULL,
      split_type VARCHAR(20) NOT NULL DEFAULT 'equal' CHECK (split_type IN ('equal', 'exact', 'percentage', 'shares', 'adjustment', 'itemized')),
      split_data JSONB NOT NULL DEFAULT '{}'::jsonb,
      receipt VARCHAR(255),
      attachments JSONB NOT NULL DEFAULT '[]'::jsonb,
      ocr_data JSONB NOT NULL DEFAULT '{}'::jsonb,
      vendor VARCHAR(200),
      location VARCHAR(200),
      notes TEXT,
      is_settled BOOLEAN NOT NULL DEFAULT FALSE,
      is_recurring BOOLEAN NOT NULL DEFAULT FALSE,
      parent_expense_id UUID REFERENCES expenses(id),
      requires_approval BOOLEAN NOT NULL DEFAULT FALSE,
      is_approved BOOLEAN NOT NULL DEFAULT TRUE,
      approved_by_id UUID,
      approved_at TIMESTAMPTZ,
      is_deleted BOOLEAN NOT NULL DEFAULT FALSE,
      deleted_at TIMESTAMPTZ,
      deleted_by_id UUID,
      created_by_id UUID NOT NULL,
      created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
      updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
      CONSTRAINT check_positive_amount CHECK (amount > 0),
      CONSTRAINT check_expense_date CHECK (expense_date <= CURRENT_DATE + 1),
      CONSTRAINT check_group_expense CHECK ((expense_type = 'group') = (group_id IS NOT NULL)),
      CONSTRAINT check_deleted CHECK (is_deleted = (deleted_at IS NOT NULL)),
      CONSTRAINT check_approval CHECK (is_approved OR requires_approval)
    )`);
    this.addSql(`CREATE INDEX idx_expense_date_group ON expenses (expense_date, group_id)`);
    this.addSql(`CREATE INDEX idx_expense_payer_date ON expenses (paid_by_id, expense_date)`);
    this.addSql(`CREATE INDEX idx_expense_category_date ON expenses (category_id, expense_date)`);
    this.addSql(`CREATE INDEX idx_expense_settled_group ON expenses (is_settled, group_id)`);
    this.addSql(`CREATE INDEX idx_expense_group_date ON expenses (group_id, expense_date DESC, created_at DESC, id DESC)`);
    this.addSql(`CREATE INDEX idx_expense_title_search ON expenses USING gin (to_tsvector('english', title))`);
    this.addSql(`CREATE INDEX idx_expense_search ON expenses USING gin (to_tsvector('english', title || ' ' || COALESCE(description, '')))`);
    this.addSql(`CREATE INDEX idx_expense_split_data ON expenses USING gin (split_data)`);

    this.addSql(`CREATE TABLE expense_payers (
      expense_id UUID NOT NULL REFERENCES expenses(id) ON DELETE CASCADE,
      user_id UUID NOT NULL,
      amount NUMERIC(16,3) NOT NULL CHECK (amount > 0),
      PRIMARY KEY (expense_id, user_id)
    )`);
    this.addSql(`CREATE INDEX idx_payer_user ON expense_payers (user_id)`);

    this.addSql(`CREATE TABLE expense_shares (
      id UUID PRIMARY KEY,
      expense_id UUID NOT NULL REFERENCES expenses(id) ON DELETE CASCADE,
      user_id UUID NOT NULL,
      amount NUMERIC(16,3) NOT NULL,
      currency_id UUID NOT NULL REFERENCES currencies(id),
      paid_by_id UUID NOT NULL,
      is_settled BOOLEAN NOT NULL DEFAULT FALSE,
      settled_at TIMESTAMPTZ,
      settlement_id UUID,
      created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
      updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
      CONSTRAINT check_positive_share CHECK (amount > 0),
      CONSTRAINT uq_share_expense_user UNIQUE (expense_id, user_id),
      CONSTRAINT check_share_settled CHECK (is_settled = (settled_at IS NOT NULL))
    )`);
    this.addSql(`CREATE INDEX idx_share_user_settled ON expense_shares (user_id, is_settled)`);
    this.addSql(`CREATE INDEX idx_share_payer_settled ON expense_shares (paid_by_id, is_settled)`);
    this.addSql(`CREATE INDEX idx_share_balance ON expense_shares (user_id, is_settled, amount)`);
    this.addSql(`CREATE INDEX idx_share_payer ON expense_shares (paid_by_id, user_id, is_settled)`);
    // The seed's idx_share_expense_user is the unique constraint's index (expense_id, user_id).

    this.addSql(`CREATE TABLE expense_tags (
      expense_id UUID NOT NULL REFERENCES expenses(id) ON DELETE CASCADE,
      tag_id UUID NOT NULL REFERENCES tags(id),
      PRIMARY KEY (expense_id, tag_id)
    )`);
    this.addSql(`CREATE INDEX idx_expense_tags_tag ON expense_tags (tag_id)`);
    this.addSql(`CREATE OR REPLACE FUNCTION update_tag_usage_count() RETURNS TRIGGER AS $$
      BEGIN
        IF TG_OP = 'INSERT' THEN
          UPDATE tags SET usage_count = usage_count + 1 WHERE id = NEW.tag_id;
        ELSIF TG_OP = 'DELETE' THEN
          UPDATE tags SET usage_count = usage_count - 1 WHERE id = OLD.tag_id;
        ELSIF NEW.tag_id <> OLD.tag_id THEN
          UPDATE tags SET usage_count = usage_count - 1 WHERE id = OLD.tag_id;
          UPDATE tags SET usage_count = usage_count + 1 WHERE id = NEW.tag_id;
        END IF;
        RETURN NULL;
      END;
      $$ LANGUAGE plpgsql`);
    this.addSql(`CREATE TRIGGER trigger_update_tag_usage AFTER INSERT OR UPDATE OR DELETE ON expense_tags
      FOR EACH ROW EXECUTE FUNCTION update_tag_usage_count()`);
  }
}
