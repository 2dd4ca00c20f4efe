import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { freshEm } from '@tally/persistence';
import { CursorPage, cursorPage, decodeCursor } from '@tally/service-kit';
import { GroupActivity } from './activity.entity';
import { ActivityRepository } from './activity.repository';

/** The feed's activity types (at most 20 characters, the seed's column). Comment types come with their issue. */
export const ActivityTypes = {
  groupCreated: 'group_created',
  groupUpdated: 'group_updated',
  groupArchived: 'group_archived',
  groupUnarchived: 'group_unarchived',
  codeRotated: 'invite_code_rotated',
  codeDisabled: 'invite_code_disabled',
  memberJoined: 'member_joined',
  memberLeft: 'member_left',
  memberRemoved: 'member_removed',
  roleChanged: 'member_role_changed',
  preferencesChanged: 'member_prefs_changed',
  inviteSent: 'invitation_sent',
  inviteAccepted: 'invitation_accepted',
  inviteDeclined: 'invitation_declined',
  inviteRevoked: 'invitation_revoked',
  inviteExpired: 'invitation_expired',
  expenseAdded: 'expense_added',
  expenseEdited: 'expense_edited',
  expenseDeleted: 'expense_deleted',
  expenseRestored: 'expense_restored',
  expenseApproved: 'expense_approved',
  settlementCompleted: 'settlement_completed',
  settlementReversed: 'settlement_reversed',
} as const;
export type ActivityType = (typeof ActivityTypes)[keyof typeof ActivityTypes];

export interface ActivityView {
  id: string;
  type: string;
  /** The actor. */
  userId: string;
  description: string;
  metadata: Record<string, unknown>;
  createdAt: string;
}

export interface NewActivity {
  groupId: string;
  userId: string;
  type: ActivityType;
  description: string;
  metadata?: Record<string, unknown>;
}

/**
 * The group feed (`group_activities`): every change of a group, its memberships and invitations is
 * recorded in the transaction that makes it; expense, comment and settlement events will be added by
 * their consumers. Descriptions never hold an invitee's address (every member reads the feed).
 */
@Injectable()
export class ActivityService {
  constructor(
    private readonly orm: MikroORM,
    private readonly activities: ActivityRepository,
  ) {}

  async record(em: EntityManager, a: NewActivity): Promise<void> {
    const row = new GroupActivity();
    row.id = randomUUID();
    row.groupId = a.groupId;
    row.userId = a.userId;
    row.activityType = a.type;
    row.description = a.description;
    row.metadata = a.metadata ?? {};
    await this.activities.insert(em, row);
  }

  /** Newest first. The caller has checked that the user may read the group. */
  async feed(groupId: string, limit: number, cursor: string | undefined): Promise<CursorPage<ActivityView>> {
    const rows = await this.activities.list(freshEm(this.orm), groupId, decodeCursor(cursor), limit + 1);
    return cursorPage(rows, limit, (r) => ({ at: r.createdAt, id: r.id }), (r) => ({
      id: r.id, type: r.activityType, userId: r.userId, description: r.description, metadata: r.metadata, createdAt: r.createdAt.toISOString(),
    }));
  }
}
