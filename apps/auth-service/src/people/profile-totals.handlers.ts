import { Controller } from '@nestjs/common';
import type { EntityManager } from '@mikro-orm/postgresql';
import { currencyDecimals } from '@tally/contracts';
import { Ctx, EventOf, EventPattern, HandlerContext, Payload } from '@tally/messaging';
import { parseAmount, toUsd } from '@tally/money';
import { ProfileRepository } from './profile.repository';
import { ProfileTotalsProjector } from './profile-totals.projector';

type Money = { amount: string; currency: string; rateToUsd?: string | null; payers: { userId: string; amount: string }[]; isApproved: boolean; isDeleted: boolean };

/**
 * What an expense adds to its payers' profile totals, as the seed's `update_user_totals` trigger
 * means them (the payer's total and count): each payer's paid amount in US cents at the rate
 * snapshotted on the expense (rounded half-even; an amount with no known rate adds to the count
 * only), and one to each payer's count — while the expense is not deleted.
 */
function effect(m: Money | undefined): Map<string, { cents: bigint; count: number }> {
  const out = new Map<string, { cents: bigint; count: number }>();
  if (!m || m.isDeleted) return out;
  const decimalPlaces = currencyDecimals(m.currency) ?? 3;
  for (const p of m.payers) {
    const minor = parseAmount(p.amount, decimalPlaces, { lenientPlaces: true });
    const cents = m.rateToUsd ? toUsd(minor, { code: m.currency, decimalPlaces, rateToUsd: m.rateToUsd }).amount : 0n;
    out.set(p.userId, { cents: (out.get(p.userId)?.cents ?? 0n) + cents, count: (out.get(p.userId)?.count ?? 0) + 1 });
  }
  return out;
}

/**
 * Keeps `user_profiles.total_expenses`, `expense_count` and `total_groups` from expense-service's
 * and group-service's events, in the inbox transaction (once per event, in order per aggregate).
 */
@Controller()
export class ProfileTotalsHandlers {
  private readonly projector = new ProfileTotalsProjector();

  constructor(private readonly profiles: ProfileRepository) {}

  @EventPattern('membership.joined')
  onJoined(@Payload() e: EventOf<'membership.joined'>, @Ctx() { em }: HandlerContext) {
    return this.change(em, e.data.userId, { totalCents: 0n, expenses: 0, groups: 1 });
  }

  @EventPattern('membership.left')
  onLeft(@Payload() e: EventOf<'membership.left'>, @Ctx() { em }: HandlerContext) {
    return this.change(em, e.data.userId, { totalCents: 0n, expenses: 0, groups: -1 });
  }

  @EventPattern('membership.removed')
  onRemoved(@Payload() e: EventOf<'membership.removed'>, @Ctx() { em }: HandlerContext) {
    return this.change(em, e.data.userId, { totalCents: 0n, expenses: 0, groups: -1 });
  }

  @EventPattern('expense.created')
  onCreated(@Payload() e: EventOf<'expense.created'>, @Ctx() { em }: HandlerContext) {
    return this.expense(em, e.data);
  }

  @EventPattern('expense.updated')
  onUpdated(@Payload() e: EventOf<'expense.updated'>, @Ctx() { em }: HandlerContext) {
    return this.expense(em, e.data);
  }

  @EventPattern('expense.deleted')
  onDeleted(@Payload() e: EventOf<'expense.deleted'>, @Ctx() { em }: HandlerContext) {
    return this.expense(em, e.data);
  }

  @EventPattern('expense.restored')
  onRestored(@Payload() e: EventOf<'expense.restored'>, @Ctx() { em }: HandlerContext) {
    return this.expense(em, e.data);
  }

  private async expense(em: EntityManager, d: Money & { previous?: Money }): Promise<void> {
    const now = effect(d);
    const before = effect(d.previous);
    for (const userId of [...new Set([...now.keys(), ...before.keys()])].sort()) {
      const a = now.get(userId) ?? { cents: 0n, count: 0 };
      const b = before.get(userId) ?? { cents: 0n, count: 0 };
      if (a.cents === b.cents && a.count === b.count) continue;
      await this.change(em, userId, { totalCents: a.cents - b.cents, expenses: a.count - b.count, groups: 0 });
    }
  }

  private async change(em: EntityManager, userId: string, d: { totalCents: bigint; expenses: number; groups: number }): Promise<void> {
    const profile = await this.profiles.ensureProfile(em, userId, true);
    const next = this.projector.applyDelta(profile, d);
    profile.totalExpenses = next.totalExpenses;
    profile.expenseCount = next.expenseCount;
    profile.totalGroups = next.totalGroups;
    await this.profiles.flush(em);
  }
}
