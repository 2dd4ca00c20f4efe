import { Migration } from '@mikro-orm/migrations';
import { CURRENCIES, currencyId } from '@tally/contracts';
import { DEFAULT_CATEGORIES, categoryId } from '../categories/categories.data';

const q = (s: string) => `'${s.replace(/'/g, "''")}'`;

/**
 * Reference data and projections for shared expenses (docs/adr/0009):
 * - `currencies` (seed): every ISO 4217 currency with ISO's minor-unit digits; `id` is
 *   `currencyId(code)`, the id every service derives from the code. `exchange_rate_to_usd` is how
 *   many US dollars one unit is worth (USD 1); NULL until a rate is known (conversions then refuse).
 *   `rate_date` (not in the seed) is the date of the current rate.
 * - `currency_rates` (new): every rate a currency ever had, with its date, who set it and how, so a
 *   conversion can always be replayed.
 * - `categories` (seed) with a default tree; `user_id` and `category_type` (not in the seed) let the
 *   personal ledger add per-user income/expense/transfer categories to the same table: names and
 *   slugs are unique among the shared categories and per user.
 * - projections kept from other services' events: `expense_groups` (group.*), `group_members`
 *   (membership.*), `friendships` (friendship.*), each with the time of the newest event it reflects.
 */
export class Migration20261203000100_currencies_categories_and_projections extends Migration {
  override async up(): Promise<void> {
    this.addSql(`CREATE TABLE currencies (
      id UUID PRIMARY KEY,
      code VARCHAR(3) NOT NULL CHECK (code ~ '^[A-Z]{3}$'),
      name VARCHAR(50) NOT NULL,
      symbol VARCHAR(10) NOT NULL,
      decimal_places SMALLINT NOT NULL DEFAULT 2 CHECK (decimal_places BETWEEN 0 AND 4),
      exchange_rate_to_usd NUMERIC(20,10) DEFAULT 1 CHECK (exchange_rate_to_usd > 0),
      rate_date DATE,
      is_active BOOLEAN NOT NULL DEFAULT TRUE,
      created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
      updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
      CONSTRAINT idx_currency_code UNIQUE (code)
    )`);
    this.addSql(`CREATE INDEX idx_currency_active ON currencies (is_active)`);
    const values = CURRENCIES.map(([code, name, symbol, dp]) =>
      `(${q(currencyId(code))}, ${q(code)}, ${q(name)}, ${q(symbol)}, ${dp}, ${code === 'USD' ? '1' : 'NULL'}, ${code === 'USD' ? 'DATE \'2026-01-01\'' : 'NULL'})`);
    this.addSql(`INSERT INTO currencies (id, code, name, symbol, decimal_places, exchange_rate_to_usd, rate_date) VALUES ${values.join(',\n')}`);

    this.addSql(`CREATE TABLE currency_rates (
      id UUID PRIMARY KEY,
      currency_id UUID NOT NULL REFERENCES currencies(id),
      rate_to_usd NUMERIC(20,10) NOT NULL CHECK (rate_to_usd > 0),
      rate_date DATE NOT NULL,
      source VARCHAR(10) NOT NULL CHECK (source IN ('api', 'import', 'seed')),
      recorded_by_id UUID,
      recorded_at TIMESTAMPTZ NOT NULL DEFAULT now()
    )`);
    this.addSql(`CREATE INDEX idx_currency_rate_date ON currency_rates (currency_id, rate_date DESC, recorded_at DESC)`);
    this.addSql(`INSERT INTO currency_rates (id, currency_id, rate_to_usd, rate_date, source) VALUES (${q('0b9f6f4e-0d4e-4c1a-9a3e-6f0c1d2e3f40')}, ${q(currencyId('USD'))}, 1, DATE '2026-01-01', 'seed')`);

    this.addSql(`CREATE TABLE categories (
      id UUID PRIMARY KEY,
      name VARCHAR(100) NOT NULL,
      slug VARCHAR(100) NOT NULL CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
      description TEXT,
      icon VARCHAR(50),
      color VARCHAR(7) NOT NULL DEFAULT '#007bff' CHECK (color ~ '^#[0-9a-fA-F]{6}$'),
      is_default BOOLEAN NOT NULL DEFAULT FALSE,
      parent_id UUID REFERENCES categories(id),
      user_id UUID,
      category_type VARCHAR(10) NOT NULL DEFAULT 'expense' CHECK (category_type IN ('income', 'expense', 'transfer')),
      created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
      updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
      CONSTRAINT check_category_parent CHECK (parent_id IS NULL OR parent_id <> id),
      CONSTRAINT check_default_is_shared CHECK (NOT is_default OR user_id IS NULL)
    )`);
    this.addSql(`CREATE UNIQUE INDEX idx_category_name ON categories (name) WHERE user_id IS NULL`);
    this.addSql(`CREATE UNIQUE INDEX idx_category_slug ON categories (slug) WHERE user_id IS NULL`);
    this.addSql(`CREATE UNIQUE INDEX uq_category_user_name ON categories (user_id, name) WHERE user_id IS NOT NULL`);
    this.addSql(`CREATE UNIQUE INDEX uq_category_user_slug ON categories (user_id, slug) WHERE user_id IS NOT NULL`);
    this.addSql(`CREATE INDEX idx_category_parent ON categories (parent_id)`);
    for (const c of DEFAULT_CATEGORIES) {
      this.addSql(`INSERT INTO categories (id, name, slug, icon, color, is_default, parent_id) VALUES (${q(categoryId(c.slug))}, ${q(c.name)}, ${q(c.slug)}, ${q(c.icon)}, ${q(c.color)}, TRUE, ${c.parent ? q(categoryId(c.parent)) : 'NULL'})`);
    }

    this.addSql(`CREATE TABLE expense_groups (
      id UUID PRIMARY KEY,
      name VARCHAR(100) NOT NULL,
      currency VARCHAR(3) NOT NULL,
      is_active BOOLEAN NOT NULL DEFAULT TRUE,
      is_archived BOOLEAN NOT NULL DEFAULT FALSE,
      last_event_at TIMESTAMPTZ NOT NULL
    )`);
    this.addSql(`CREATE TABLE group_members (
      group_id UUID NOT NULL,
      user_id UUID NOT NULL,
      membership_id UUID NOT NULL UNIQUE,
      role VARCHAR(20) NOT NULL CHECK (role IN ('admin', 'member', 'viewer')),
      is_active BOOLEAN NOT NULL,
      last_event_at TIMESTAMPTZ NOT NULL,
      PRIMARY KEY (group_id, user_id)
    )`);
    this.addSql(`CREATE INDEX idx_group_members_user ON group_members (user_id) WHERE is_active`);
    this.addSql(`CREATE TABLE friendships (
      id UUID PRIMARY KEY,
      user_a UUID NOT NULL,
      user_b UUID NOT NULL,
      status VARCHAR(10) NOT NULL CHECK (status IN ('pending', 'accepted', 'declined', 'blocked', 'removed')),
      last_event_at TIMESTAMPTZ NOT NULL,
      CONSTRAINT check_friendship_order CHECK (user_a < user_b)
    )`);
    this.addSql(`CREATE INDEX idx_friendships_pair ON friendships (user_a, user_b)`);
  }
}
