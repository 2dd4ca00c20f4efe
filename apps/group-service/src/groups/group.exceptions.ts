import { HttpStatus } from '@nestjs/common';
import { DomainException } from '@tally/service-kit';

/** group-service's errors, one stable code each (problem+json `code`). */
export enum GroupExceptionCode {
  /** Also what a non-member, a former member or a removed member gets: a group's existence never leaks. */
  GroupNotFound = 'GROUP_NOT_FOUND',
  InvalidId = 'INVALID_ID',
  AdminRequired = 'GROUP_ADMIN_REQUIRED',
  GroupArchived = 'GROUP_ARCHIVED',
  GroupNotArchived = 'GROUP_NOT_ARCHIVED',
  GroupHasExpenses = 'GROUP_HAS_EXPENSES',
  GroupPrivate = 'GROUP_PRIVATE',
  InviteCodeNotFound = 'INVITE_CODE_NOT_FOUND',
  AlreadyMember = 'ALREADY_MEMBER',
  RemovedFromGroup = 'REMOVED_FROM_GROUP',
  MemberNotFound = 'MEMBER_NOT_FOUND',
  LastAdmin = 'LAST_ADMIN',
  MemberHasBalance = 'MEMBER_HAS_BALANCE',
  UseLeave = 'USE_LEAVE',
  InvitationNotFound = 'INVITATION_NOT_FOUND',
  InvitationExists = 'INVITATION_EXISTS',
  InvitationNotPending = 'INVITATION_NOT_PENDING',
  InvitationExpired = 'INVITATION_EXPIRED',
  InvalidInvitation = 'INVALID_INVITATION',
}

export class GroupException extends DomainException {
  constructor(code: GroupExceptionCode, message: string, status: number, extra: Record<string, unknown> = {}) {
    super(code, message, status, extra);
  }
}

const C = GroupExceptionCode;
const field = (name: string, message: string) => ({ errors: [{ field: name, message }] });

export const GroupErrors = {
  groupNotFound: () => new GroupException(C.GroupNotFound, 'Group not found.', HttpStatus.NOT_FOUND),
  invalidId: (name = 'id') => new GroupException(C.InvalidId, `${name} must be a UUID.`, HttpStatus.BAD_REQUEST),
  adminRequired: (what: string) => new GroupException(C.AdminRequired, `Only the group's admins can ${what}.`, HttpStatus.FORBIDDEN),
  archived: () => new GroupException(C.GroupArchived, 'The group is archived and read-only; an admin can unarchive it.', HttpStatus.CONFLICT),
  notArchived: () => new GroupException(C.GroupNotArchived, 'The group is not archived.', HttpStatus.CONFLICT),
  hasExpenses: () => new GroupException(C.GroupHasExpenses, 'A group with expenses cannot be deleted; archive it instead.', HttpStatus.CONFLICT),
  groupPrivate: () =>
    new GroupException(C.GroupPrivate, 'A private group can only be joined by invitation, so it has no invite code.', HttpStatus.CONFLICT),
  inviteCodeNotFound: () => new GroupException(C.InviteCodeNotFound, 'No group can be joined with this code.', HttpStatus.NOT_FOUND),
  alreadyMember: () => new GroupException(C.AlreadyMember, 'Already a member of this group.', HttpStatus.CONFLICT),
  removedFromGroup: () =>
    new GroupException(C.RemovedFromGroup, 'An admin removed you from this group; only a new invitation can bring you back.', HttpStatus.FORBIDDEN),
  memberNotFound: () => new GroupException(C.MemberNotFound, 'No active member with this id in the group.', HttpStatus.NOT_FOUND),
  lastAdmin: () =>
    new GroupException(C.LastAdmin, 'The group needs an admin: make another member admin first (or delete the group).', HttpStatus.CONFLICT),
  memberHasBalance: (balances: { currency: string; balance: string }[]) =>
    new GroupException(
      C.MemberHasBalance,
      `The member's balance in this group is not zero (${balances.map((b) => `${b.balance} ${b.currency}`).join(', ')}); settle up first.`,
      HttpStatus.CONFLICT,
      { balances },
    ),
  useLeave: () => new GroupException(C.UseLeave, 'To leave a group yourself, use POST /api/v1/groups/{id}/leave.', HttpStatus.BAD_REQUEST),
  invitationNotFound: () => new GroupException(C.InvitationNotFound, 'Invitation not found.', HttpStatus.NOT_FOUND),
  invitationExists: () =>
    new GroupException(C.InvitationExists, 'This address already has a pending invitation to the group.', HttpStatus.CONFLICT),
  /** `invitationStatus`, not `status`: the problem's `status` is the HTTP status (and the reply's). */
  invitationNotPending: (status: string) =>
    new GroupException(C.InvitationNotPending, `The invitation is ${status}, no longer pending.`, HttpStatus.CONFLICT, { invitationStatus: status }),
  invitationExpired: () => new GroupException(C.InvitationExpired, 'The invitation has expired; ask for a new one.', HttpStatus.CONFLICT),
  oneAddress: () =>
    new GroupException(C.InvalidInvitation, 'Invite by email or by phoneNumber: exactly one of them.', HttpStatus.BAD_REQUEST,
      field('email', 'give exactly one of email and phoneNumber')),
  badExpiry: (message: string) => new GroupException(C.InvalidInvitation, message, HttpStatus.BAD_REQUEST, field('expiresAt', message)),
};
