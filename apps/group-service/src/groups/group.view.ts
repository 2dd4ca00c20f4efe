import { currencyDecimals } from '@tally/contracts';
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
  /** Expenses wait for an admin's approval before they count in balances. */
  requiresApproval: boolean;
  /** Suggested transfers are the fewest possible (true) or follow who owes whom directly (false). */
  simplifyDebts: boolean;
  expenseCount: number;
  memberCount: number;
  /** Decimal strings in the group's currency (caches fed by expense and payment events). */
  totalExpenses: string;
  settledAmount: string;
  /** The caller's role. */
  myRole: GroupRole;
  /** Shown to admins only; null when joining by code is disabled (always for private groups). */
  inviteCode: string | null;
  createdAt: string;
  updatedAt: string;
}

/** A NUMERIC as text with exactly the currency's decimal places ("0.00" EUR, "0" JPY, "1.250" BHD). */
export function money(value: string | number, currency = 'USD'): string {
  const places = currencyDecimals(currency) ?? 2;
  const s = String(value);
  if (!/^-?\d+(\.\d+)?$/.test(s)) return s;
  const [int, frac = ''] = s.split('.');
  return places === 0 ? int : `${int}.${(frac + '000').slice(0, places)}`;
}

export function toGroupView(g: Group, role: GroupRole): GroupView {
  return {
    id: g.id, name: g.name, description: g.description ?? null, groupType: g.groupType, image: g.image ?? null, currency: g.currency,
    isPrivate: g.isPrivate, isArchived: g.isArchived, archivedAt: g.archivedAt ? g.archivedAt.toISOString() : null, memberCount: g.memberCount,
    requiresApproval: g.requiresApproval, simplifyDebts: g.simplifyDebts, expenseCount: g.expenseCount,
    totalExpenses: money(g.totalExpenses, g.currency), settledAmount: money(g.settledAmount, g.currency), myRole: role,
    inviteCode: role === 'admin' ? g.inviteCode ?? null : null,
    createdAt: g.createdAt.toISOString(), updatedAt: g.updatedAt.toISOString(),
  };
}
