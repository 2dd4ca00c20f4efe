import { Controller } from '@nestjs/common';
import { Ctx, EventOf, EventPattern, HandlerContext, Payload } from '@tally/messaging';
import { NotificationService } from '../notifications/notification.service';
import { AppPaths, People, money } from './people';

type SettlementData = EventOf<'settlement.created'>['data'];

/** In-app notifications from payment-service's settlement.* and payment.* events, to its two parties. */
@Controller()
export class SettlementNotificationHandlers {
  constructor(private readonly notifications: NotificationService, private readonly people: People) {}

  /** Whoever has not confirmed yet is asked to (never the one who recorded it). */
  @EventPattern('settlement.created')
  async onCreated(@Payload() e: EventOf<'settlement.created'>, @Ctx() ctx: HandlerContext): Promise<void> {
    const { em } = ctx;
    const d = e.data;
    const name = await this.people.names(em, [d.payerId, d.payeeId, d.byUserId]);
    const amount = money(d.amount, d.currency);
    const recordedBy = d.byUserId ? name(d.byUserId) : 'Tally';
    const drafts = [];
    if (!d.isConfirmedByPayer) {
      drafts.push({ ...about(d), userId: d.payerId, type: 'settlement_requested' as const,
        title: `Confirm your payment of ${amount} to ${name(d.payeeId)}`,
        message: `${recordedBy} recorded a settlement: you pay ${name(d.payeeId)} ${amount}. Confirm it once the money has moved.` });
    }
    if (!d.isConfirmedByPayee) {
      drafts.push({ ...about(d), userId: d.payeeId, type: 'settlement_requested' as const,
        title: `Confirm ${name(d.payerId)}'s payment of ${amount}`,
        message: `${recordedBy} recorded a settlement: ${name(d.payerId)} pays you ${amount}. Confirm it once you have received it.` });
    }
    await this.notifications.notify(ctx, e, d.byUserId, drafts);
  }

  /** One party confirmed: the other is told. */
  @EventPattern('settlement.confirmed')
  async onConfirmed(@Payload() e: EventOf<'settlement.confirmed'>, @Ctx() ctx: HandlerContext): Promise<void> {
    const { em } = ctx;
    const d = e.data;
    const name = await this.people.names(em, [d.payerId, d.payeeId, d.byUserId]);
    const amount = money(d.amount, d.currency);
    await this.notifications.notify(ctx, e, d.byUserId, parties(d).map((userId) => ({
      ...about(d), userId, type: 'settlement_confirmed' as const,
      title: `${name(d.byUserId)} confirmed the settlement of ${amount}`,
      message: `${name(d.byUserId)} confirmed the settlement: ${describe(d, userId, name, amount)}.` +
        ((userId === d.payerId ? d.isConfirmedByPayer : d.isConfirmedByPayee) ? '' : ' Confirm it too to complete it.'),
    })));
  }

  @EventPattern('settlement.completed')
  async onCompleted(@Payload() e: EventOf<'settlement.completed'>, @Ctx() ctx: HandlerContext): Promise<void> {
    const { em } = ctx;
    const d = e.data;
    const name = await this.people.names(em, [d.payerId, d.payeeId]);
    const amount = money(d.amount, d.currency);
    await this.notifications.notify(ctx, e, d.byUserId, parties(d).map((userId) => ({
      ...about(d), userId, type: 'settlement_completed' as const,
      title: `Settlement of ${amount} completed`,
      message: `Settled: ${describe(d, userId, name, amount, true)}. Your balances reflect it.`,
    })));
  }

  @EventPattern('settlement.cancelled')
  async onCancelled(@Payload() e: EventOf<'settlement.cancelled'>, @Ctx() ctx: HandlerContext): Promise<void> {
    const { em } = ctx;
    const d = e.data;
    const name = await this.people.names(em, [d.payerId, d.payeeId, d.byUserId]);
    const amount = money(d.amount, d.currency);
    const who = d.byUserId ? name(d.byUserId) : 'Tally';
    await this.notifications.notify(ctx, e, d.byUserId, parties(d).map((userId) => ({
      ...about(d), userId, type: 'settlement_cancelled' as const,
      title: `${who} cancelled the settlement of ${amount}`,
      message: `${who} cancelled the settlement (${describe(d, userId, name, amount)}); it moved no money in Tally.`,
    })));
  }

  /** A reminder to the payer only. */
  @EventPattern('settlement.overdue')
  async onOverdue(@Payload() e: EventOf<'settlement.overdue'>, @Ctx() ctx: HandlerContext): Promise<void> {
    const { em } = ctx;
    const d = e.data;
    const name = await this.people.names(em, [d.payeeId]);
    const amount = money(d.amount, d.currency);
    await this.notifications.notify(ctx, e, null, [{
      ...about(d), userId: d.payerId, type: 'settlement_overdue', senderId: null,
      title: `Your payment of ${amount} to ${name(d.payeeId)} is overdue`,
      message: `You were due to pay ${name(d.payeeId)} ${amount}${d.dueDate ? ` by ${d.dueDate.slice(0, 10)}` : ''}. Pay it or settle it by hand, then confirm it.`,
    }]);
  }

  /** The provider refused the payer's payment: the settlement stays pending. */
  @EventPattern('payment.failed')
  async onPaymentFailed(@Payload() e: EventOf<'payment.failed'>, @Ctx() ctx: HandlerContext): Promise<void> {
    const { em } = ctx;
    const d = e.data;
    const name = await this.people.names(em, [d.payeeId]);
    const amount = money(d.amount, d.currency);
    await this.notifications.notify(ctx, e, null, [{
      userId: d.payerId, type: 'payment_failed', senderId: null,
      title: `Your payment of ${amount} to ${name(d.payeeId)} failed`,
      message: `Your payment of ${amount} to ${name(d.payeeId)} failed${d.errorCode ? ` (${d.errorCode})` : ''}. The settlement is still open: try again or use another payment method.`,
      relatedObjectType: 'settlement', relatedObjectId: d.settlementId, actionUrl: AppPaths.settlement(d.settlementId),
      metadata: { paymentId: d.paymentId, provider: d.provider, errorCode: d.errorCode },
    }]);
  }
}

function about(d: SettlementData) {
  return { relatedObjectType: 'settlement', relatedObjectId: d.settlementId, actionUrl: AppPaths.settlement(d.settlementId), groupId: d.groupId };
}

function parties(d: SettlementData): string[] {
  return [d.payerId, d.payeeId];
}

/** The settlement from `userId`'s side: "you pay Bob 12.50 EUR" / "Ann pays you 12.50 EUR". */
function describe(d: SettlementData, userId: string, name: (id: string | null) => string, amount: string, past = false): string {
  if (userId === d.payerId) return `you ${past ? 'paid' : 'pay'} ${name(d.payeeId)} ${amount}`;
  return `${name(d.payerId)} ${past ? 'paid' : 'pays'} you ${amount}`;
}
