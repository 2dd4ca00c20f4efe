import type { ProjectedUserCard } from '@tally/identity';

/** How the feed and invitations name a user: first name, else username, else "Someone" (not projected yet). */
export function displayName(user: Pick<ProjectedUserCard, 'firstName' | 'username'> | undefined | null): string {
  return user?.firstName?.trim() || user?.username || 'Someone';
}
