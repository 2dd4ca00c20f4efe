import { MikroORM } from '@mikro-orm/postgresql';
import { IdentityProjectionRepository } from '@tally/identity';
import { OutboxWriter } from '@tally/messaging';
import { inTransaction } from '@tally/persistence';
import { ActivityService, ActivityTypes } from '../activities/activity.service';
import { displayName } from '../common/names';
import { GroupRepository } from '../groups/group.repository';
import { InvitationEvents } from './invitation.events';
import { InvitationRepository } from './invitation.repository';

export interface InvitationExpiryDeps {
  orm: MikroORM;
  invitations: InvitationRepository;
  groups: GroupRepository;
  activity: ActivityService;
  users: IdentityProjectionRepository;
  outbox: OutboxWriter;
}

/**
 * Invitations expire by themselves: group-worker's `expire-invitations` job runs this on a schedule.
 * Overdue pending invitations are marked expired in batches, each with its invitation.expired event
 * and feed entry in the same transaction. Idempotent (a second run finds nothing); an invitation being
 * answered at that moment is skipped (SKIP LOCKED) and, if still pending, taken by the next run.
 */
export class InvitationExpiry {
  constructor(private readonly deps: InvitationExpiryDeps, private readonly batch = 200) {}

  /** How many invitations it expired. */
  async run(): Promise<number> {
    const { orm, invitations, groups, activity, users, outbox } = this.deps;
    let total = 0;
    for (;;) {
      const n = await inTransaction(orm, async (em) => {
        const due = await invitations.expireDue(em, this.batch);
        const names = await groups.namesOf(em, due.map((i) => i.groupId));
        const inviters = await users.findUsers(em, due.map((i) => i.invitedById));
        for (const i of due) {
          const groupName = names.get(i.groupId);
          if (groupName === undefined) continue; // a deleted group: nobody reads its feed, nobody can answer
          const inviter = inviters.get(i.invitedById);
          await outbox.append(em, InvitationEvents.expired(i, { groupName, inviterName: inviter ? displayName(inviter) : null }));
          await activity.record(em, {
            groupId: i.groupId, userId: i.invitedById, type: ActivityTypes.inviteExpired, description: 'An invitation expired unanswered',
            metadata: { invitationId: i.id },
          });
        }
        return due.length;
      });
      total += n;
      if (n < this.batch) return total;
    }
  }
}
