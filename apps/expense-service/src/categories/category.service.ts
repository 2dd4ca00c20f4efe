import { HttpStatus, Injectable } from '@nestjs/common';
import { MikroORM } from '@mikro-orm/postgresql';
import { freshEm } from '@tally/persistence';
import { DomainException } from '@tally/service-kit';
import { Category } from './category.entity';
import { CategoryRepository } from './category.repository';

export interface CategoryView {
  id: string;
  name: string;
  slug: string;
  description: string | null;
  icon: string | null;
  color: string;
  isDefault: boolean;
  parentId: string | null;
  type: string;
  /** True for the caller's own categories (personal ledger), false for the shared ones. */
  isOwn: boolean;
}

const view = (c: Category): CategoryView => ({
  id: c.id, name: c.name, slug: c.slug, description: c.description ?? null, icon: c.icon ?? null, color: c.color, isDefault: c.isDefault,
  parentId: c.parentId ?? null, type: c.categoryType, isOwn: c.userId != null,
});

/** Categories: the shared default tree (and, with the personal ledger, each user's own). */
@Injectable()
export class CategoryService {
  constructor(private readonly orm: MikroORM, private readonly categories: CategoryRepository) {}

  /** Parents before their children, each level by name. */
  async list(userId: string): Promise<{ items: CategoryView[] }> {
    const rows = await this.categories.listVisible(freshEm(this.orm), userId);
    const byParent = new Map<string | null, Category[]>();
    for (const c of rows) byParent.set(c.parentId ?? null, [...(byParent.get(c.parentId ?? null) ?? []), c]);
    const out: CategoryView[] = [];
    const walk = (parent: string | null) => {
      for (const c of byParent.get(parent) ?? []) {
        out.push(view(c));
        walk(c.id);
      }
    };
    walk(null);
    return { items: out };
  }

  async get(userId: string, id: string): Promise<CategoryView> {
    const c = await this.categories.findVisible(freshEm(this.orm), id, userId);
    if (!c) throw new DomainException('CATEGORY_NOT_FOUND', 'Category not found.', HttpStatus.NOT_FOUND);
    return view(c);
  }
}
