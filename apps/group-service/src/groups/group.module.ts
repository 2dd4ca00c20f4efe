import { Module } from '@nestjs/common';
import { IdentityModule } from '@tally/identity';
import { GroupAccess } from '../access/group-access';
import { ActivityController } from '../activities/activity.controller';
import { ActivityRepository } from '../activities/activity.repository';
import { ActivityService } from '../activities/activity.service';
import { AppliedSettlementRepository } from '../balances/applied-settlement.repository';
import { ExpenseHandlers } from '../balances/expense.handlers';
import { MemberBalanceRepository } from '../balances/member-balance.repository';
import { SettlementHandlers } from '../balances/settlement.handlers';
import { GroupInvitationController, ReceivedInvitationController } from '../invitations/invitation.controller';
import { InvitationRepository } from '../invitations/invitation.repository';
import { InvitationService } from '../invitations/invitation.service';
import { MembershipController } from '../memberships/membership.controller';
import { MembershipRepository } from '../memberships/membership.repository';
import { MembershipService } from '../memberships/membership.service';
import { GroupController } from './group.controller';
import { GroupListCache } from './group-list-cache';
import { GroupRepository } from './group.repository';
import { GroupService } from './group.service';

/**
 * The group domain: groups, memberships, invitations and the activity feed, each in its folder. One
 * Nest module, because the folders call each other's services both ways (creating a group adds its
 * admin; accepting an invitation joins; every change writes the feed) and GroupAccess reads two tables.
 * It imports the identity projection (with addresses: invitations are matched to the invitee's verified
 * email), whose repository names people in the feed and in invitations.
 */
@Module({
  imports: [IdentityModule.forRoot({ keepEmail: true })],
  controllers: [GroupController, MembershipController, GroupInvitationController, ReceivedInvitationController, ActivityController, ExpenseHandlers, SettlementHandlers],
  providers: [
    GroupAccess, GroupRepository, GroupService, MembershipRepository, MembershipService, InvitationRepository, InvitationService,
    ActivityRepository, ActivityService, MemberBalanceRepository, AppliedSettlementRepository,
    GroupListCache,
  ],
  exports: [InvitationService],
})
export class GroupModule {}
