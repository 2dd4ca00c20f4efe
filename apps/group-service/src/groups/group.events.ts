import type { NewEvent } from '@tally/messaging';
import type { Group } from './group.entity';

type GroupEventType = 'group.created' | 'group.updated' | 'group.archived' | 'group.unarchived' | 'group.deleted' | 'group.invite_code_changed';

function event<T extends GroupEventType>(type: T, g: Group, byUserId: string, extra: { changed?: string[]; inviteCodeEnabled?: boolean } = {}): NewEvent<T> {
  return {
    type,
    subject: g.id,
    data: {
      groupId: g.id, name: g.name, description: g.description ?? null, groupType: g.groupType, image: g.image ?? null, currency: g.currency,
      isPrivate: g.isPrivate, isArchived: g.isArchived, isActive: g.isActive, requiresApproval: g.requiresApproval, simplifyDebts: g.simplifyDebts, memberCount: g.memberCount, byUserId, ...extra, at: new Date().toISOString(),
    },
  } as NewEvent<T>;
}

/** The events of a group (`group.group.v1`, keyed by group id). Never the invite code. */
export const GroupEvents = {
  created: (g: Group, by: string) => event('group.created', g, by),
  updated: (g: Group, by: string, changed: string[]) => event('group.updated', g, by, { changed }),
  archived: (g: Group, by: string) => event('group.archived', g, by),
  unarchived: (g: Group, by: string) => event('group.unarchived', g, by),
  deleted: (g: Group, by: string) => event('group.deleted', g, by),
  inviteCodeChanged: (g: Group, by: string) => event('group.invite_code_changed', g, by, { inviteCodeEnabled: !!g.inviteCode }),
};
