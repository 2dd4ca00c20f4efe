import { FriendshipStatus } from './friendship.entity';

export const PROFILE_VISIBILITIES = ['public', 'friends', 'private'] as const;
export type ProfileVisibility = (typeof PROFILE_VISIBILITIES)[number];

/** How the viewer stands to the target, from the friendship row between them (if any). */
export type Relation = 'self' | 'friends' | 'blocked' | 'none';

/**
 * What a viewer may see of another user:
 * - `hidden`: nothing; answered exactly like a user that does not exist (404);
 * - `card`: the minimal card (id, username, first name), enough to recognise someone in a
 *   group or a friend request, nothing else;
 * - `full`: the public fields and the profile (never email, phone, date of birth, login or lockout data).
 */
export type Visibility = 'hidden' | 'card' | 'full';

export interface VisibilityTarget {
  isActive: boolean;
  isVerified: boolean;
  profileVisibility: ProfileVisibility;
}

export function relationOf(viewerId: string, targetId: string, friendship: { status: FriendshipStatus } | null): Relation {
  if (viewerId === targetId) return 'self';
  if (!friendship) return 'none';
  if (friendship.status === 'blocked') return 'blocked';
  if (friendship.status === 'accepted') return 'friends';
  return 'none'; // pending or declined: not friends (yet)
}

/**
 * The visibility rule, in one place:
 * - a user always sees themselves in full;
 * - a deactivated or not yet verified account, and anyone on either side of a block, is hidden
 *   (a blocked user cannot tell a block from a missing account);
 * - `public`: every authenticated user sees the full view;
 * - `friends`: accepted friends see the full view, everyone else the card;
 * - `private`: everyone else sees only the card.
 */
export function decideVisibility(target: VisibilityTarget, relation: Relation): Visibility {
  if (relation === 'self') return 'full';
  if (!target.isActive || !target.isVerified || relation === 'blocked') return 'hidden';
  switch (target.profileVisibility) {
    case 'public':
      return 'full';
    case 'friends':
      return relation === 'friends' ? 'full' : 'card';
    default:
      return 'card';
  }
}
