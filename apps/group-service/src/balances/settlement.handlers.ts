import { Controller } from '@nestjs/common';
import type { EntityManager } from '@mikro-orm/postgresql';
import { currencyDecimals } from '@tally/contracts';
import type { EventData } from '@tally/contracts';
import { IdentityProjectionRepository } from '@tally/identity';
import { Ctx, EventOf, EventPattern, HandlerContext, Payload } from '@tally/messaging';
import { formatAmount, parseAmount } from '@tally/money';
import { ActivityService, ActivityTypes } from '../activities/activity.service';
import { displayName } from '../common/names';
import { GroupRepository } from '../groups/group.repository';
import { AppliedSettlement, AppliedSettlementRepository } from './applied-settlement.repository';
import { MemberBalanceRepository } from './member-balance.repository';

type SettlementData = EventData<'settlement.completed'>;

const places = (currency: string) => currencyDecimals(currency) ?? 3;
const minor = (text: string, currency: string) => parseAmount(text, places(currency), { sign: 'any', lenientPlaces: true });

/**
 * group-service's consumers of payment-service's settlement events, for settlements within a group
 * (between friends there is no group to keep): a completed settlement moves the member balances (the
 * leave and remove rule reads them) as an expense paid by the payer and owed by the payee would — payer
 * +amount, payee −amount, in the settlement's currency — adds to `groups.settled_amount` when it is in the
 * group's currency, and writes the feed; a reversal takes back exactly what was applied (ADR 12). Once per
 * settlement (`applied_settlements`), whatever the events; the group row is locked first, as
 * ExpenseHandlers do, so one group's events apply one at a time in one lock order.
 */
@Controller()
export class SettlementHandlers {
  constructor(
    private readonly groups: GroupRepository,
    private readonly balances: MemberBalanceRepository,
    private readonly applied: AppliedSettlementRepository,
    private readonly activity: ActivityService,
    private readonly users: IdentityProjectionRepository,
  ) {}

  @EventPattern('settlement.completed')
  async onCompleted(@Payload() e: EventOf<'settlement.completed'>, @Ctx() { em }: HandlerContext): Promise<void> {
    const s = await this.start(em, e.data);
    if (!s || !(await this.applied.insertCompleted(em, s.settlement))) return;
    await this.move(em, s.settlement, 1n, s.groupCurrency);
    await this.feed(em, e.data, s.settlement, 'completed');
  }

  @EventPattern('settlement.reversed')
  async onReversed(@Payload() e: EventOf<'settlement.reversed'>, @Ctx() { em }: HandlerContext): Promise<void> {
    const s = await this.start(em, e.data);
    if (!s) return;
    const applied = await this.applied.markRefunded(em, s.settlement);
    if (!applied) return; // never applied here: nothing to take back
    await this.move(em, applied, -1n, s.groupCurrency);
    await this.feed(em, e.data, applied, 'reversed');
  }

  /** The group locked (first), and the settlement as this service keeps it; null when there is nothing to keep. */
  private async start(em: EntityManager, d: SettlementData): Promise<{ settlement: AppliedSettlement; groupCurrency: string } | null> {
    if (!d.groupId || d.payerId === d.payeeId) return null; // between friends, or moving nothing
    const group = await this.groups.findActive(em, d.groupId, true);
    if (!group) return null; // unknown or deleted here: nothing to keep
    const amount = minor(d.amount, d.currency);
    if (amount <= 0n) return null;
    return {
      settlement: { settlementId: d.settlementId, groupId: d.groupId, payerId: d.payerId, payeeId: d.payeeId, amount: formatAmount(amount, places(d.currency)), currency: d.currency },
      groupCurrency: group.currency,
    };
  }

  /** Payer +amount, payee −amount (times `sign`), in key order; and the group's settled total in its own currency. */
  private async move(em: EntityManager, s: AppliedSettlement, sign: bigint, groupCurrency: string): Promise<void> {
    const amount = minor(s.amount, s.currency) * sign;
    const deltas: [string, bigint][] = [[s.payerId, amount], [s.payeeId, -amount]];
    for (const [userId, delta] of deltas.sort(([a], [b]) => (a < b ? -1 : 1))) {
      await this.balances.add(em, s.groupId, userId, s.currency, formatAmount(delta, places(s.currency)));
    }
    if (s.currency === groupCurrency) await this.groups.applySettledAmount(em, s.groupId, formatAmount(amount, places(s.currency)));
  }

  private async feed(em: EntityManager, d: SettlementData, s: AppliedSettlement, what: 'completed' | 'reversed'): Promise<void> {
    const names = await this.users.findUsers(em, [s.payerId, s.payeeId]);
    const payer = displayName(names.get(s.payerId));
    const payee = displayName(names.get(s.payeeId));
    const amount = formatAmount(minor(s.amount, s.currency), places(s.currency));
    await this.activity.record(em, {
      groupId: s.groupId,
      userId: d.byUserId ?? s.payerId,
      type: what === 'completed' ? ActivityTypes.settlementCompleted : ActivityTypes.settlementReversed,
      description: what === 'completed' ? `${payer} paid ${payee} ${amount} ${s.currency}` : `${payer}'s payment of ${amount} ${s.currency} to ${payee} was reversed`,
      metadata: { settlementId: s.settlementId, payerId: s.payerId, payeeId: s.payeeId, amount, currency: s.currency, paymentId: d.paymentId ?? null },
    });
  }
}
