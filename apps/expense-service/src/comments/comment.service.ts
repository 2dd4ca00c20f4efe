import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { OutboxWriter } from '@tally/messaging';
import { freshEm, inTransaction } from '@tally/persistence';
import { CursorPage } from '@tally/service-kit';
import { ExpenseErrors } from '../expenses/expense.exceptions';
import { ExpenseService, ExpenseView } from '../expenses/expense.service';
import { GroupProjectionRepository } from '../groups/group-projection.repository';
import { CreateCommentDto, ListCommentsQueryDto, UpdateCommentDto } from './dto/comment.dto';
import { CommentEvents } from './comment.events';
import { CommentErrors } from './comment.exceptions';
import { CommentCursor, CommentRepository, ExpenseComment } from './comment.repository';

export interface CommentView {
  id: string;
  expenseId: string;
  /** The author. */
  userId: string;
  comment: string;
  /** The comment it replies to; null for a comment on the expense (or when that comment was deleted). */
  parentId: string | null;
  isEdited: boolean;
  editedAt: string | null;
  createdAt: string;
  updatedAt: string;
}

/**
 * Comments on expenses, and replies to them. Whoever may see the expense (ExpenseService.get: a
 * group expense's active members, viewers included; outside groups its payers, share owners and
 * creator) reads its comments. Adding, editing and deleting follow the group's rule for expenses:
 * viewers only read (403 GROUP_VIEWER_READ_ONLY), an archived group is read-only (409
 * GROUP_ARCHIVED), and so is a deleted expense (409 EXPENSE_DELETED; its comments stay readable and
 * come back with it). Only the author edits a comment; the author or a group admin deletes it. A
 * delete is a real one: the replies stay, as comments on the expense (parent_id null). Every change
 * publishes its comment.* event in the same transaction.
 */
@Injectable()
export class CommentService {
  constructor(
    private readonly orm: MikroORM,
    private readonly comments: CommentRepository,
    private readonly expenses: ExpenseService,
    private readonly groups: GroupProjectionRepository,
    private readonly outbox: OutboxWriter,
  ) {}

  async list(me: string, expenseId: string, q: ListCommentsQueryDto): Promise<CursorPage<CommentView>> {
    const after = decodeCommentCursor(q.cursor);
    await this.expenses.get(me, expenseId);
    const rows = await this.comments.list(freshEm(this.orm), expenseId, after, q.limit + 1);
    const page = rows.slice(0, q.limit);
    const last = page[page.length - 1];
    return { items: page.map(toView), nextCursor: rows.length > q.limit && last ? encodeCommentCursor(last) : null, limit: q.limit };
  }

  async create(me: string, expenseId: string, dto: CreateCommentDto): Promise<CommentView> {
    const e = await this.expenses.get(me, expenseId);
    return inTransaction(this.orm, async (em) => {
      await this.checkWritable(em, me, e);
      let parent: ExpenseComment | null = null;
      if (dto.parentId) {
        // held until the commit, so it cannot be deleted under the reply
        parent = await this.comments.find(em, expenseId, dto.parentId.toLowerCase(), 'share');
        if (!parent) throw CommentErrors.invalidParent();
      }
      const c = await this.comments.insert(em, { id: randomUUID(), expenseId, userId: me, comment: dto.comment, parentId: parent?.id ?? null });
      await this.outbox.append(em, CommentEvents.created(c, e, parent?.userId ?? null, me));
      return toView(c);
    });
  }

  async update(me: string, expenseId: string, commentId: string, dto: UpdateCommentDto): Promise<CommentView> {
    const e = await this.expenses.get(me, expenseId);
    return inTransaction(this.orm, async (em) => {
      const c = await this.comments.find(em, expenseId, commentId, 'update');
      if (!c) throw CommentErrors.notFound();
      await this.checkWritable(em, me, e);
      if (c.userId !== me) throw CommentErrors.notAuthor();
      if (c.comment === dto.comment) return toView(c); // nothing changed: not edited, no event
      const edited = await this.comments.updateText(em, c.id, dto.comment);
      await this.outbox.append(em, CommentEvents.updated(edited, e, await this.parentAuthor(em, edited), me));
      return toView(edited);
    });
  }

  async remove(me: string, expenseId: string, commentId: string): Promise<void> {
    const e = await this.expenses.get(me, expenseId);
    await inTransaction(this.orm, async (em) => {
      const c = await this.comments.find(em, expenseId, commentId, 'update');
      if (!c) throw CommentErrors.notFound();
      const admin = await this.checkWritable(em, me, e);
      if (c.userId !== me && !admin) throw CommentErrors.notAuthorOrAdmin();
      const parentAuthorId = await this.parentAuthor(em, c);
      await this.comments.delete(em, c.id);
      await this.outbox.append(em, CommentEvents.deleted(c, e, parentAuthorId, me));
    });
  }

  /**
   * Whether the caller may write comments on the expense (they can see it: ExpenseService.get said
   * so): not a viewer, not in an archived group, not on a deleted expense. True for a group admin.
   */
  private async checkWritable(em: EntityManager, me: string, e: ExpenseView): Promise<boolean> {
    let admin = false;
    if (e.groupId) {
      const g = await this.groups.find(em, e.groupId, me);
      if (!g || !g.groupActive || !g.memberActive) throw ExpenseErrors.notFound(); // left the group a moment ago
      if (g.role === 'viewer') throw CommentErrors.viewerReadOnly();
      if (g.groupArchived) throw ExpenseErrors.groupArchived();
      admin = g.role === 'admin';
    }
    if (e.isDeleted) throw CommentErrors.expenseDeleted();
    return admin;
  }

  private async parentAuthor(em: EntityManager, c: ExpenseComment): Promise<string | null> {
    if (!c.parentId) return null;
    return (await this.comments.find(em, c.expenseId, c.parentId))?.userId ?? null;
  }
}

function toView(c: ExpenseComment): CommentView {
  return {
    id: c.id, expenseId: c.expenseId, userId: c.userId, comment: c.comment, parentId: c.parentId, isEdited: c.isEdited,
    editedAt: c.editedAt ? c.editedAt.toISOString() : null, createdAt: c.createdAt.toISOString(), updatedAt: c.updatedAt.toISOString(),
  };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const MICRO_ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

/** The last comment of a page: its time to the microsecond (as PostgreSQL holds it) and its id. */
export function encodeCommentCursor(c: Pick<ExpenseComment, 'createdKey' | 'id'>): string {
  return Buffer.from(JSON.stringify([c.createdKey, c.id]), 'utf8').toString('base64url');
}

export function decodeCommentCursor(cursor: string | undefined): CommentCursor | undefined {
  if (cursor === undefined) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw CommentErrors.invalidCursor();
  }
  if (!Array.isArray(v) || v.length !== 2 || typeof v[0] !== 'string' || typeof v[1] !== 'string') throw CommentErrors.invalidCursor();
  const [createdKey, id] = v as [string, string];
  const at = new Date(createdKey);
  if (!MICRO_ISO.test(createdKey) || Number.isNaN(at.getTime()) || at.toISOString().slice(0, 19) !== createdKey.slice(0, 19) || !UUID.test(id)) {
    throw CommentErrors.invalidCursor();
  }
  return { createdKey, id };
}
