import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { Tag } from './tag.entity';

/** The only code that touches `tags` (their `usage_count` is the `expense_tags` trigger's). */
@Injectable()
export class TagRepository {
  /** The ids of these tag names, creating the ones that do not exist yet (concurrently safe). */
  async idsFor(em: EntityManager, names: readonly string[]): Promise<string[]> {
    if (!names.length) return [];
    const conn = em.getConnection();
    const ctx = em.getTransactionContext();
    await conn.execute(
      `INSERT INTO tags (id, name) VALUES ${names.map(() => '(?, ?)').join(', ')} ON CONFLICT (name) DO NOTHING`,
      names.flatMap((n) => [randomUUID(), n]), 'run', ctx,
    );
    const rows = await conn.execute<{ id: string; name: string }[]>(`SELECT id, name FROM tags WHERE name IN (?)`, [[...names]], 'all', ctx);
    const byName = new Map(rows.map((r) => [r.name, r.id]));
    return names.map((n) => byName.get(n)!);
  }

  findByName(em: EntityManager, name: string): Promise<Tag | null> {
    return em.findOne(Tag, { name });
  }

  /** The most used tags first. */
  popular(em: EntityManager, limit: number): Promise<Tag[]> {
    return em.find(Tag, { usageCount: { $gt: 0 } }, { orderBy: { usageCount: 'desc', name: 'asc' }, limit });
  }
}
