import { Injectable, Logger } from '@nestjs/common';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { EventData } from '@tally/contracts';
import { formatAmount, parseAmount } from '@tally/money';
import { BalanceRepository } from '../balances/balance.repository';
import { friendNets } from '../balances/balance.service';
import { allocateInOrder } from './settlement-allocation';
import { SettlementRecord, SettlementRepository, SettlementScope } from './settlement.repository';

type SettlementData = EventData<'settlement.completed'>;

/** Amounts are NUMERIC(16,3) here: arithmetic in thousandths, exact for every currency (at most 3 places). */
const PLACES = 3;
const thousandths = (text: string): bigint => parseAmount(text, PLACES, { lenientPlaces: true, maxIntegerDigits: 13 });

const scopeOf = (d: SettlementData): SettlementScope => (d.groupId ? { kind: 'group', groupId: d.groupId } : { kind: 'friends', payerId: d.payerId, payeeId: d.payeeId });

const recordOf = (d: SettlementData, amount: bigint): SettlementRecord => ({
  settlementId: d.settlementId, groupId: d.groupId, payerId: d.payerId, payeeId: d.payeeId, amount: formatAmount(amount, PLACES),
  currency: d.currency, paymentId: d.paymentId ?? null, completedAt: d.completedAt ?? d.at,
});

/**
 * Completed settlements move balances and settle shares (docs/adr/0012). The balances need nothing but
 * the projection row (every balance query counts completed settlements). The shares follow one rule: a
 * settlement P→Q of A pays P's open debt shares in its scope and currency — Q's first, then the rest,
 * each oldest first — until A runs out (a share partly paid keeps its `settled_amount` and stays open);
 * a main payer's own share is settled once every other share of its expense is; and when the scope's
 * balances in that currency are all exactly zero afterwards, every share still open there is closed by
 * this settlement (the books are closed). A reversal takes back exactly what the settlement paid or closed.
 *
 * Once per settlement, whatever the events: the projection row is inserted first, and a settlement already
 * known (an event delivered twice, or published again under a new event id) moves nothing more.
 */
@Injectable()
export class SettlementService {
  private readonly log = new Logger(SettlementService.name);

  constructor(
    private readonly settlements: SettlementRepository,
    private readonly balances: BalanceRepository,
  ) {}

  async complete(em: EntityManager, d: SettlementData, eventTime: string): Promise<void> {
    const amount = thousandths(d.amount);
    if (d.payerId === d.payeeId || amount <= 0n) {
      this.log.warn({ msg: 'settlement moves nothing (payer is payee, or no amount): ignored', settlementId: d.settlementId });
      return;
    }
    const scope = scopeOf(d);
    const at = d.completedAt ?? d.at;
    await this.settlements.lockScope(em, scope);
    if (!(await this.settlements.insertCompleted(em, recordOf(d, amount), eventTime))) return; // known already: applied once

    const touched = new Set<string>();
    const add = (ids: string[]) => ids.forEach((id) => touched.add(id));
    const debtExpenses = await this.settlements.lockPayersOpenDebts(em, scope, d.payerId, d.currency);
    const open = await this.settlements.openDebts(em, debtExpenses, d.payerId, d.payeeId);
    const allocations = allocateInOrder(amount, open.map((s) => ({ shareId: s.shareId, expenseId: s.expenseId, open: thousandths(s.open) })));
    add(await this.settlements.allocate(em, d.settlementId, at, allocations.map((a) => ({ shareId: a.shareId, amount: formatAmount(a.amount, PLACES) }))));
    add(await this.settlements.settleOwnShares(em, d.settlementId, at, [...touched]));

    if (await this.isSquare(em, d)) {
      const rest = await this.settlements.lockOpenExpenses(em, scope, d.currency);
      // again with those expenses locked: an edit that committed meanwhile may have moved the balances
      if (rest.length && (await this.isSquare(em, d))) {
        const closed = await this.settlements.settleOpenShares(em, d.settlementId, at, rest, scope);
        add(closed);
        add(await this.settlements.settleOwnShares(em, d.settlementId, at, closed));
      }
    }
    await this.settlements.refreshExpenses(em, [...touched]);
  }

  async reverse(em: EntityManager, d: SettlementData, eventTime: string): Promise<void> {
    const amount = thousandths(d.amount);
    if (d.payerId === d.payeeId || amount <= 0n) return;
    await this.settlements.lockScope(em, scopeOf(d));
    if (!(await this.settlements.markRefunded(em, recordOf(d, amount), d.at, eventTime))) return; // not completed here: nothing to take back
    await this.settlements.lockAllocatedExpenses(em, d.settlementId);
    const touched = await this.settlements.takeBack(em, d.settlementId);
    await this.settlements.reopenOwnShares(em, touched);
    await this.settlements.refreshExpenses(em, touched);
  }

  /** Whether the settlement's scope has no balance left in its currency: every group member's, or the two friends' with each other. */
  private async isSquare(em: EntityManager, d: SettlementData): Promise<boolean> {
    if (d.groupId) return this.balances.groupCurrencyIsSquare(em, d.groupId, d.currency);
    const nets = friendNets(await this.balances.nonGroupParts(em, d.payerId), d.payerId);
    return !nets.some((n) => n.userId === d.payeeId && n.currency === d.currency);
  }
}
