import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { Group } from '../groups/group.entity';
import { GroupErrors } from '../groups/group.exceptions';
import { GroupRepository } from '../groups/group.repository';
import { GroupMembership } from '../memberships/membership.entity';
import { MembershipRepository } from '../memberships/membership.repository';

/**
 * What a caller needs for an action on a group:
 * - `read`: be an active member (any role): see the group, its members and its feed;
 * - `self`: be an active member, acting on their own membership (leave, their notification preferences);
 * - `admin`: be an active admin; and the group must not be archived unless `archivedOk`.
 */
export type GroupNeed = 'read' | 'self' | 'admin';

export interface GroupAccessResult {
  group: Group;
  membership: GroupMembership;
}

/**
 * The one authorization rule of group-service, enforced here rather than at the gateway: a group
 * exists only for its active members. A non-member, a former or removed member, or anyone asking for a
 * deleted group gets 404 (never 403, so existence does not leak); a member whose role is too low gets
 * 403; an admin change to an archived group gets 409.
 */
@Injectable()
export class GroupAccess {
  constructor(
    private readonly groups: GroupRepository,
    private readonly memberships: MembershipRepository,
  ) {}

  /**
   * The group and the caller's membership, or the right error. `lock` takes the group row for the
   * transaction: every change of memberships does, so they are serialised per group (the last-admin
   * rule and member_count stay exact).
   */
  async require(em: EntityManager, groupId: string, userId: string, need: GroupNeed, opts: { lock?: boolean; archivedOk?: boolean; what?: string } = {}): Promise<GroupAccessResult> {
    const group = await this.groups.findActive(em, groupId, opts.lock ?? false);
    if (!group) throw GroupErrors.groupNotFound();
    const membership = await this.memberships.find(em, groupId, userId);
    if (!membership || !membership.isActive) throw GroupErrors.groupNotFound();
    if (need === 'admin') {
      if (membership.role !== 'admin') throw GroupErrors.adminRequired(opts.what ?? 'do this');
      if (group.isArchived && !opts.archivedOk) throw GroupErrors.archived();
    }
    return { group, membership };
  }
}
