import type { GroupRole } from '../memberships/membership.entity';
import type { Group, GroupType } from './group.entity';

export interface GroupView {
  id: string;
  name: string;
  description: string | null;
  groupType: GroupType;
  image: string | null;
  /** ISO 4217. */
  currency: string;
  isPrivate: boolean;
  isArchived: boolean;
  archivedAt: string | null;
  memberCount: number;
  /** Decimal strings (caches fed by expense and payment events). */
  totalExpenses: string;
  settledAmount: string;
  /** The caller's role. */
  myRole: GroupRole;
  /** Shown to admins only; null when joining by code is disabled (always for private groups). */
  inviteCode: string | null;
  createdAt: string;
  updatedAt: string;
}

/** NUMERIC(15,2) as text with its two decimals ("0.00", "12.50"), whatever the driver returned. */
export function money(value: string | number): string {
  const s = String(value);
  if (!/^-?\d+(\.\d+)?$/.test(s)) return s;
  const [int, frac = ''] = s.split('.');
  return `${int}.${(frac + '00').slice(0, 2)}`;
}

export function toGroupView(g: Group, role: GroupRole): GroupView {
  return {
    id: g.id, name: g.name, description: g.description ?? null, groupType: g.groupType, image: g.image ?? null, currency: g.currency,
    isPrivate: g.isPrivate, isArchived: g.isArchived, archivedAt: g.archivedAt ? g.archivedAt.toISOString() : null, memberCount: g.memberCount,
    totalExpenses: money(g.totalExpenses), settledAmount: money(g.settledAmount), myRole: role,
    inviteCode: role === 'admin' ? g.inviteCode ?? null : null,
    createdAt: g.createdAt.toISOString(), updatedAt: g.updatedAt.toISOString(),
  };
}
