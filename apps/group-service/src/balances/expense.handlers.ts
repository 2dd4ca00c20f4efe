import { Controller } from '@nestjs/common';
import type { EntityManager } from '@mikro-orm/postgresql';
import { currencyDecimals } from '@tally/contracts';
import { IdentityProjectionRepository } from '@tally/identity';
import { Ctx, EventOf, EventPattern, HandlerContext, Payload } from '@tally/messaging';
import { formatAmount, parseAmount } from '@tally/money';
import { ActivityService, ActivityType, ActivityTypes } from '../activities/activity.service';
import { displayName } from '../common/names';
import { GroupRepository } from '../groups/group.repository';
import { MemberBalanceRepository } from './member-balance.repository';

type ExpenseEvent = EventOf<'expense.created'>;
type Money = { amount: string; currency: string; payers: { userId: string; amount: string }[]; shares: { userId: string; amount: string }[]; isApproved: boolean; isDeleted: boolean };

const places = (currency: string) => currencyDecimals(currency) ?? 3;
const minor = (text: string, currency: string) => parseAmount(text, places(currency), { sign: 'any', lenientPlaces: true });

/** What an expense adds to balances now: payers +, shares −, per user and currency; nothing unless approved and not deleted. */
function effect(m: Money | undefined): { balances: Map<string, bigint>; total: bigint; currency: string | null } {
  const balances = new Map<string, bigint>();
  if (!m || !m.isApproved || m.isDeleted) return { balances, total: 0n, currency: m?.currency ?? null };
  for (const p of m.payers) balances.set(`${p.userId}|${m.currency}`, (balances.get(`${p.userId}|${m.currency}`) ?? 0n) + minor(p.amount, m.currency));
  for (const s of m.shares) balances.set(`${s.userId}|${m.currency}`, (balances.get(`${s.userId}|${m.currency}`) ?? 0n) - minor(s.amount, m.currency));
  return { balances, total: minor(m.amount, m.currency), currency: m.currency };
}

/** Whether an expense counts towards `expense_count`: not deleted (approved or awaiting approval). */
const counted = (m: Money | undefined) => (m && !m.isDeleted ? 1 : 0);

/**
 * group-service's consumers of expense-service's events: each group's member balances (the leave and
 * remove rule reads them), its `total_expenses` (in the group's currency) and `expense_count`, and its
 * feed. Each event carries what the expense moves now and what it moved before (`previous`), so the
 * change applied is the difference: exact NUMERIC arithmetic, once per event (the inbox), in order per
 * expense (the topic's key).
 */
@Controller()
export class ExpenseHandlers {
  constructor(
    private readonly groups: GroupRepository,
    private readonly balances: MemberBalanceRepository,
    private readonly activity: ActivityService,
    private readonly users: IdentityProjectionRepository,
  ) {}

  @EventPattern('expense.created')
  onCreated(@Payload() e: ExpenseEvent, @Ctx() { em }: HandlerContext) {
    return this.apply(em, e, ActivityTypes.expenseAdded, 'added');
  }

  @EventPattern('expense.updated')
  onUpdated(@Payload() e: EventOf<'expense.updated'>, @Ctx() { em }: HandlerContext) {
    return this.apply(em, e, ActivityTypes.expenseEdited, 'edited');
  }

  @EventPattern('expense.deleted')
  onDeleted(@Payload() e: EventOf<'expense.deleted'>, @Ctx() { em }: HandlerContext) {
    return this.apply(em, e, ActivityTypes.expenseDeleted, 'deleted');
  }

  @EventPattern('expense.restored')
  onRestored(@Payload() e: EventOf<'expense.restored'>, @Ctx() { em }: HandlerContext) {
    return this.apply(em, e, ActivityTypes.expenseRestored, 'restored');
  }

  @EventPattern('expense.approved')
  onApproved(@Payload() e: EventOf<'expense.approved'>, @Ctx() { em }: HandlerContext) {
    return this.apply(em, e, ActivityTypes.expenseApproved, 'approved');
  }

  private async apply(em: EntityManager, e: { data: ExpenseEvent['data'] }, type: ActivityType, verb: string): Promise<void> {
    const d = e.data;
    if (!d.groupId) return; // between friends: no group to keep
    // The group row first, locked: one group's expense events (several partitions, several consumers) then apply one at a
    // time, in one lock order (group, then its member_balances rows), so they can never deadlock each other.
    const group = await this.groups.findActive(em, d.groupId, true);
    if (!group) return; // unknown or deleted here: nothing to keep
    const now = effect(d);
    const before = effect(d.previous);
    const deltas = new Map(now.balances);
    for (const [k, v] of before.balances) deltas.set(k, (deltas.get(k) ?? 0n) - v);
    for (const [k, v] of [...deltas.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      if (v === 0n) continue;
      const [userId, currency] = k.split('|');
      await this.balances.add(em, d.groupId, userId, currency, formatAmount(v, places(currency)));
    }
    let total = 0n;
    if (now.currency === group.currency) total += now.total;
    if (before.currency === group.currency) total -= before.total;
    await this.groups.applyExpenseTotals(em, d.groupId, formatAmount(total, places(group.currency)), counted(d) - (d.previous ? counted(d.previous) : 0));
    const who = displayName((await this.users.findUsers(em, [d.byUserId])).get(d.byUserId));
    await this.activity.record(em, {
      groupId: d.groupId, userId: d.byUserId, type,
      description: `${who} ${verb} "${d.title}" (${d.amount} ${d.currency})`,
      metadata: { expenseId: d.expenseId, amount: d.amount, currency: d.currency },
    });
  }
}
