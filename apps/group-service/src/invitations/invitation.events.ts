import type { NewEvent } from '@tally/messaging';
import type { GroupInvitation } from './invitation.entity';

type InvitationEventType = 'invitation.created' | 'invitation.accepted' | 'invitation.declined' | 'invitation.revoked' | 'invitation.expired';

/** What an invitation event says besides the row: the group's name and how the inviter is named. */
export interface InvitationContext {
  groupName: string;
  inviterName: string | null;
}

function event<T extends InvitationEventType>(type: T, i: GroupInvitation, ctx: InvitationContext, byUserId: string | null): NewEvent<T> {
  return {
    type,
    subject: i.id,
    data: {
      invitationId: i.id, groupId: i.groupId, groupName: ctx.groupName, invitedById: i.invitedById, inviterName: ctx.inviterName,
      email: i.email ?? null, phoneNumber: i.phoneNumber ?? null, message: i.message ?? null, status: i.status,
      expiresAt: i.expiresAt.toISOString(), acceptedById: i.acceptedById ?? null, byUserId, at: new Date().toISOString(),
    },
  } as NewEvent<T>;
}

/** The events of an invitation (`group.invitation.v1`, keyed by invitation id). */
export const InvitationEvents = {
  created: (i: GroupInvitation, ctx: InvitationContext, by: string) => event('invitation.created', i, ctx, by),
  accepted: (i: GroupInvitation, ctx: InvitationContext, by: string) => event('invitation.accepted', i, ctx, by),
  declined: (i: GroupInvitation, ctx: InvitationContext, by: string) => event('invitation.declined', i, ctx, by),
  revoked: (i: GroupInvitation, ctx: InvitationContext, by: string) => event('invitation.revoked', i, ctx, by),
  /** By itself: no actor. */
  expired: (i: GroupInvitation, ctx: InvitationContext) => event('invitation.expired', i, ctx, null),
};
