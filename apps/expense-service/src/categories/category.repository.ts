import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { Category } from './category.entity';

/** The only code that touches `categories`. */
@Injectable()
export class CategoryRepository {
  /** The shared categories and the user's own, parents' names first. */
  listVisible(em: EntityManager, userId: string): Promise<Category[]> {
    return em.find(Category, { $or: [{ userId: null }, { userId }] }, { orderBy: { name: 'asc' } });
  }

  async findVisible(em: EntityManager, id: string, userId: string): Promise<Category | null> {
    const c = await em.findOne(Category, { id });
    return c && (c.userId == null || c.userId === userId) ? c : null;
  }

  /** The category and all its descendants' ids (for "category with its children" filters). */
  async withDescendants(em: EntityManager, id: string): Promise<string[]> {
    const rows = await em.getConnection().execute<{ id: string }[]>(
      `WITH RECURSIVE tree AS (SELECT id FROM categories WHERE id = ? UNION ALL SELECT c.id FROM categories c JOIN tree t ON c.parent_id = t.id) SELECT id FROM tree`,
      [id], 'all', em.getTransactionContext(),
    );
    return rows.map((r) => r.id);
  }
}
