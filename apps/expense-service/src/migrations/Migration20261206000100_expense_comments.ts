import { Migration } from '@mikro-orm/migrations';

/**
 * The seed's `expense_comments`, column for column: UUID ids, `user_id` a logical reference to auth's
 * users (a UUID, like every user id in expense-service), TIMESTAMPTZ times, and its two indexes.
 * - The text is not blank and at most 5000 characters (code points, as the API counts them).
 * - A reply's parent is a comment on the same expense: the foreign key is (expense_id, parent_id) →
 *   (expense_id, id), so the database holds the rule even if the service did not.
 * - Deleting a comment deletes it; its replies stay, no longer replies: the key sets only `parent_id`
 *   to null (PostgreSQL 15's column list), never `expense_id`.
 * - Comments go with their expense (ON DELETE CASCADE); expenses are only soft-deleted today.
 */
export class Migration20261206000100_expense_comments extends Migration {
  override async up(): Promise<void> {
    this.addSql(`CREATE TABLE expense_comments (
      id UUID PRIMARY KEY,
      expense_id UUID NOT NULL REFERENCES expenses(id) ON DELETE CASCADE,
      user_id UUID NOT NULL,
      comment TEXT NOT NULL,
      parent_id UUID,
      is_edited BOOLEAN NOT NULL DEFAULT FALSE,
      edited_at TIMESTAMPTZ,
      created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
      updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
      CONSTRAINT uq_comment_expense_id UNIQUE (expense_id, id),
      CONSTRAINT fk_comment_parent_same_expense FOREIGN KEY (expense_id, parent_id)
        REFERENCES expense_comments (expense_id, id) ON DELETE SET NULL (parent_id),
      CONSTRAINT check_comment_text CHECK (char_length(comment) <= 5000 AND btrim(comment, E' \\t\\n\\r\\f\\x0B') <> ''),
      CONSTRAINT check_comment_not_own_parent CHECK (parent_id IS NULL OR parent_id <> id),
      CONSTRAINT check_comment_edited CHECK (is_edited = (edited_at IS NOT NULL))
    )`);
    this.addSql(`CREATE INDEX idx_comment_expense ON expense_comments (expense_id, created_at)`);
    this.addSql(`CREATE INDEX idx_comment_user ON expense_comments (user_id, created_at)`);
    this.addSql(`CREATE INDEX idx_comment_parent ON expense_comments (parent_id) WHERE parent_id IS NOT NULL`);
  }
}
