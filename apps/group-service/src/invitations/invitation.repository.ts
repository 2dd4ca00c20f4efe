import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { TimeIdCursor } from '@tally/service-kit';
import { GroupInvitation } from './invitation.entity';

/** The only code that touches `group_invitations`. */
@Injectable()
export class InvitationRepository {
  async insert(em: EntityManager, i: GroupInvitation): Promise<void> {
    em.persist(i);
    await em.flush();
  }

  async save(em: EntityManager): Promise<void> {
    await em.flush();
  }

  /** The invitation, its row locked for the transaction. */
  async findForUpdate(em: EntityManager, id: string): Promise<GroupInvitation | null> {
    const rows = await em.getConnection().execute<Record<string, unknown>[]>(
      `SELECT * FROM group_invitations WHERE id = ? FOR UPDATE`, [id], 'all', em.getTransactionContext(),
    );
    return rows[0] ? em.map(GroupInvitation, rows[0]) : null;
  }

  async findById(em: EntityManager, id: string): Promise<GroupInvitation | null> {
    return em.findOne(GroupInvitation, { id });
  }

  /**
   * A group's invitations (pending only, or all), newest first, after the cursor. Pending means not
   * overdue too: one past its expiry is expired, whether or not the sweep has marked it yet.
   */
  async listForGroup(em: EntityManager, groupId: string, pendingOnly: boolean, after: TimeIdCursor | undefined, take: number): Promise<GroupInvitation[]> {
    return this.list(em, `group_id = ?${pendingOnly ? ` AND status = 'pending' AND expires_at > now()` : ''}`, [groupId], after, take);
  }

  /** The pending, unexpired invitations sent to this address (to groups that still exist), newest first. */
  async listPendingForEmail(em: EntityManager, email: string, after: TimeIdCursor | undefined, take: number): Promise<GroupInvitation[]> {
    return this.list(
      em,
      `email = lower(?) AND status = 'pending' AND expires_at > now() AND group_id IN (SELECT id FROM groups WHERE is_active)`,
      [email], after, take,
    );
  }

  /**
   * Marks up to `limit` pending invitations whose expiry has passed as expired and returns them.
   * SKIP LOCKED: an invitation being accepted right now is left to that transaction (and the next sweep).
   */
  async expireDue(em: EntityManager, limit: number): Promise<GroupInvitation[]> {
    const rows = await em.getConnection().execute<Record<string, unknown>[]>(
      `UPDATE group_invitations SET status = 'expired', is_expired = TRUE, updated_at = now()
        WHERE id IN (SELECT id FROM group_invitations WHERE status = 'pending' AND expires_at <= now() ORDER BY expires_at LIMIT ? FOR UPDATE SKIP LOCKED)
        RETURNING *`,
      [limit], 'all', em.getTransactionContext(),
    );
    return rows.map((r) => em.map(GroupInvitation, r));
  }

  private async list(em: EntityManager, cond: string, params: unknown[], after: TimeIdCursor | undefined, take: number): Promise<GroupInvitation[]> {
    const all = [...params];
    let page = '';
    if (after) {
      page = ' AND (created_at, id) < (?, ?)';
      all.push(after.at, after.id);
    }
    all.push(take);
    const rows = await em.getConnection().execute<Record<string, unknown>[]>(
      `SELECT * FROM group_invitations WHERE ${cond}${page} ORDER BY created_at DESC, id DESC LIMIT ?`, all, 'all', em.getTransactionContext(),
    );
    return rows.map((r) => em.map(GroupInvitation, r));
  }
}
