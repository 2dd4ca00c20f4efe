import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { currencyDecimals, currencyId, isCurrencyCode } from '@tally/contracts';
import { OutboxWriter } from '@tally/messaging';
import { MoneyError, formatAmount, parseAmount } from '@tally/money';
import { freshEm, inTransaction } from '@tally/persistence';
import { FriendshipProjectionRepository, MembershipProjectionRepository } from '@tally/projections';
import { CursorPage, cursorPage, decodeCursor } from '@tally/service-kit';
import type { IdempotencyRequestInfo } from '../idempotency/idempotency-key.decorator';
import { IdempotencyService, IdempotentAnswer } from '../idempotency/idempotency.service';
import { PaymentMethodService } from '../payment-methods/payment-method.service';
import { parseDueDate } from './due-date';
import { CreateSettlementDto, ListSettlementsQueryDto } from './dto/settlement.dto';
import { Settlement } from './settlement.entity';
import { SettlementErrors } from './settlement.exceptions';
import { SettlementEvents } from './settlement.events';
import { SettlementRepository } from './settlement.repository';
import { SettlementView, toSettlementView } from './settlement.view';

/** How the caller stands to a settlement. */
type Standing = 'payer' | 'payee' | 'admin' | null;

/**
 * Settlements recorded by hand: one party records it (their own confirmation set), the other confirms,
 * and then it is completed (settlement.completed moves balances in expense- and group-service). Either
 * party may cancel it while it is pending and no payment for it is in flight.
 *
 * Who: the payer and the payee act on it; an active admin of its group reads it (list and get) but
 * cannot confirm or cancel (403); anyone else gets 404. In a group both parties must be active members
 * and the one recording it not a viewer; outside groups they must be friends (payment-service's own
 * projections of group-service's memberships and auth's friendships).
 *
 * Every change locks the settlement row (FOR UPDATE) and writes its event to the outbox in the same
 * transaction. Creating one takes an Idempotency-Key (IdempotencyService).
 */
@Injectable()
export class SettlementService {
  constructor(
    private readonly orm: MikroORM,
    private readonly settlements: SettlementRepository,
    private readonly members: MembershipProjectionRepository,
    private readonly friendships: FriendshipProjectionRepository,
    private readonly paymentMethods: PaymentMethodService,
    private readonly idempotency: IdempotencyService,
    private readonly outbox: OutboxWriter,
  ) {}

  /** 201 with the settlement, or the stored answer of an earlier request with the same Idempotency-Key. */
  async create(me: string, dto: CreateSettlementDto, idem: IdempotencyRequestInfo): Promise<IdempotentAnswer<SettlementView>> {
    const input = this.readInput(me, dto);
    return inTransaction(this.orm, (em) =>
      this.idempotency.run(em, { userId: me, ...idem, body: dto }, async () => ({ status: 201, body: toSettlementView(await this.createIn(em, me, dto, input)) })),
    );
  }

  async list(me: string, q: ListSettlementsQueryDto): Promise<CursorPage<SettlementView>> {
    const em = freshEm(this.orm);
    const scope = q.groupId && (await this.isGroupAdmin(em, q.groupId, me)) ? 'group' : 'mine';
    const rows = await this.settlements.list(em, {
      userId: me, scope, groupId: q.groupId, status: q.status, counterpartyId: q.counterpartyId, after: decodeCursor(q.cursor), take: q.limit + 1,
    });
    return cursorPage(rows, q.limit, (s) => ({ at: s.createdAt, id: s.id }), toSettlementView);
  }

  async get(me: string, id: string): Promise<SettlementView> {
    const em = freshEm(this.orm);
    const s = await this.settlements.findById(em, id);
    if (!s || !(await this.standing(em, s, me))) throw SettlementErrors.notFound();
    return toSettlementView(s);
  }

  /**
   * The caller's confirmation. The second one completes it (completed_at, confirmed_at,
   * settlement.completed); a first one that does not publishes settlement.confirmed. Confirming again
   * changes nothing (200 with the settlement as it is).
   */
  async confirm(me: string, id: string): Promise<SettlementView> {
    return inTransaction(this.orm, async (em) => {
      const { s, side } = await this.lockAsParty(em, id, me, 'confirm');
      if (s.status === 'cancelled') throw SettlementErrors.notPending(s.status);
      const already = side === 'payer' ? s.isConfirmedByPayer : s.isConfirmedByPayee;
      if (already) return toSettlementView(s);
      if (s.status !== 'pending') throw SettlementErrors.notPending(s.status);
      const now = new Date();
      const both = side === 'payer' ? s.isConfirmedByPayee : s.isConfirmedByPayer;
      const mine = side === 'payer' ? { isConfirmedByPayer: true } : { isConfirmedByPayee: true };
      if (!both) {
        const confirmed = await this.settlements.update(em, s.id, mine);
        await this.outbox.append(em, SettlementEvents.confirmed(confirmed, me));
        return toSettlementView(confirmed);
      }
      const done = await this.settlements.update(em, s.id, { ...mine, status: 'completed', confirmedAt: now, completedAt: now });
      await this.outbox.append(em, SettlementEvents.completed(done, { byUserId: me, at: now }));
      return toSettlementView(done);
    });
  }

  /** Either party, while it is pending and no payment for it is pending or processing (409 otherwise). Cancelling again changes nothing. */
  async cancel(me: string, id: string): Promise<SettlementView> {
    return inTransaction(this.orm, async (em) => {
      const { s } = await this.lockAsParty(em, id, me, 'cancel');
      if (s.status === 'cancelled') return toSettlementView(s);
      if (s.status !== 'pending') throw SettlementErrors.notPending(s.status);
      if (await this.settlements.hasPaymentInFlight(em, s.id)) throw SettlementErrors.livePayment();
      const cancelled = await this.settlements.update(em, s.id, { status: 'cancelled', cancelledAt: new Date(), cancelledById: me });
      await this.outbox.append(em, SettlementEvents.cancelled(cancelled, me));
      return toSettlementView(cancelled);
    });
  }

  // ---- rules ------------------------------------------------------------------------------------

  /** What can be checked without the database: parties, amount, currency, due date. */
  private readInput(me: string, dto: CreateSettlementDto): { amount: string; dueDate: Date | null } {
    if (dto.payerId === dto.payeeId) throw SettlementErrors.sameParty();
    if (me !== dto.payerId && me !== dto.payeeId) throw SettlementErrors.notAParty();
    if (!isCurrencyCode(dto.currency)) throw SettlementErrors.unknownCurrency();
    const places = currencyDecimals(dto.currency)!;
    let amount: string;
    try {
      amount = formatAmount(parseAmount(dto.amount, places, { sign: 'positive', maxIntegerDigits: 13 }), places);
    } catch (e) {
      if (e instanceof MoneyError) throw SettlementErrors.invalidAmount(e.message);
      throw e;
    }
    let dueDate: Date | null = null;
    if (dto.dueDate !== undefined) {
      dueDate = parseDueDate(dto.dueDate);
      if (!dueDate) throw SettlementErrors.invalidDueDate();
      if (dueDate.getTime() < Date.now()) throw SettlementErrors.dueDateInPast();
    }
    return { amount, dueDate };
  }

  private async createIn(em: EntityManager, me: string, dto: CreateSettlementDto, input: { amount: string; dueDate: Date | null }): Promise<Settlement> {
    const other = me === dto.payerId ? dto.payeeId : dto.payerId;
    if (dto.groupId) {
      const mine = await this.members.find(em, dto.groupId, me);
      if (!mine?.isActive) throw SettlementErrors.groupNotFound();
      if (mine.role === 'viewer') throw SettlementErrors.viewerCannotSettle();
      const theirs = await this.members.find(em, dto.groupId, other);
      if (!theirs?.isActive) throw SettlementErrors.notGroupMember(other);
    } else if (!(await this.friendships.areFriends(em, me, other))) {
      throw SettlementErrors.notFriends(other);
    }
    if (dto.paymentMethodId && !(await this.paymentMethods.findUsable(em, me, dto.paymentMethodId))) throw SettlementErrors.paymentMethodNotFound();
    const now = new Date();
    const s = Object.assign(new Settlement(), {
      id: randomUUID(), payerId: dto.payerId, payeeId: dto.payeeId, amount: input.amount, currencyId: currencyId(dto.currency), currency: dto.currency,
      groupId: dto.groupId ?? null, method: dto.method ?? 'manual', status: 'pending', paymentMethodId: dto.paymentMethodId ?? null, dueDate: input.dueDate,
      description: dto.description ?? null, notes: dto.notes ?? null,
      isConfirmedByPayer: me === dto.payerId, isConfirmedByPayee: me === dto.payeeId, createdById: me, createdAt: now, updatedAt: now,
    } satisfies Partial<Settlement>);
    const created = await this.settlements.insert(em, s);
    await this.outbox.append(em, SettlementEvents.created(created, me));
    return created;
  }

  /** The settlement locked, when the caller is a party; 403 for a group admin who is not, 404 for anyone else. */
  private async lockAsParty(em: EntityManager, id: string, me: string, what: string): Promise<{ s: Settlement; side: 'payer' | 'payee' }> {
    const s = await this.settlements.lock(em, id);
    const standing = s ? await this.standing(em, s, me) : null;
    if (!s || !standing) throw SettlementErrors.notFound();
    if (standing === 'admin') throw SettlementErrors.partiesOnly(what);
    return { s, side: standing };
  }

  private async standing(em: EntityManager, s: Settlement, me: string): Promise<Standing> {
    if (s.payerId === me) return 'payer';
    if (s.payeeId === me) return 'payee';
    return s.groupId && (await this.isGroupAdmin(em, s.groupId, me)) ? 'admin' : null;
  }

  private async isGroupAdmin(em: EntityManager, groupId: string, me: string): Promise<boolean> {
    const m = await this.members.find(em, groupId, me);
    return !!m && m.isActive && m.role === 'admin';
  }
}
