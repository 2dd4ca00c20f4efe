import { identityEntities } from '@tally/identity';
import { GroupActivity } from './activities/activity.entity';
import { Group } from './groups/group.entity';
import { GroupInvitation } from './invitations/invitation.entity';
import { GroupMembership } from './memberships/membership.entity';

/** group-service's entities (the API and group-worker share them). */
export const entities = [Group, GroupMembership, GroupInvitation, GroupActivity, ...identityEntities];
