import { Controller } from '@nestjs/common';
import { Ctx, EventOf, EventPattern, HandlerContext, Payload } from '@tally/messaging';
import { MembershipProjectionRepository } from '@tally/projections';
import { InAppDraft, NotificationService } from '../notifications/notification.service';
import { AppPaths, People, amountText, money, quoted, totalsByUser } from './people';

type ExpenseEvent = EventOf<'expense.created'> | EventOf<'expense.updated'> | EventOf<'expense.deleted'>;

/**
 * In-app notifications from expense-service's expense.* events: everyone who paid or owes a share is
 * told, except whoever did it. A new expense that waits for approval goes to the group's admins
 * (the local `group_members` projection) as `expense_approval_needed` instead.
 */
@Controller()
export class ExpenseNotificationHandlers {
  constructor(
    private readonly notifications: NotificationService,
    private readonly people: People,
    private readonly members: MembershipProjectionRepository,
  ) {}

  @EventPattern('expense.created')
  async onCreated(@Payload() e: EventOf<'expense.created'>, @Ctx() ctx: HandlerContext): Promise<void> {
    if (e.data.recurringExpenseId) return this.onGenerated(e, ctx);
    const { em } = ctx;
    const d = e.data;
    const admins = !d.isApproved && d.groupId ? await this.members.admins(em, d.groupId) : [];
    const name = await this.people.names(em, [d.byUserId]);
    const by = name(d.byUserId);
    const paid = totalsByUser(d.payers, d.currency);
    const owed = totalsByUser(d.shares, d.currency);
    const total = money(d.amount, d.currency);
    const drafts: InAppDraft[] = participants(d).map((userId) => {
      const parts = [
        paid.has(userId) ? `you paid ${amountText(paid.get(userId)!, d.currency)} ${d.currency}` : null,
        owed.has(userId) ? `your share is ${amountText(owed.get(userId)!, d.currency)} ${d.currency}` : null,
      ].filter(Boolean);
      return {
        ...this.about(d), userId, type: 'expense_added',
        title: `${by} added ${quoted(d.title)}`,
        message: `${by} added ${quoted(d.title)} (${total})${parts.length ? `: ${parts.join(', ')}` : ''}.` +
          (d.isApproved ? '' : ' It counts in balances once a group admin approves it.'),
      };
    });
    for (const userId of admins) {
      drafts.push({
        ...this.about(d), userId, type: 'expense_approval_needed',
        title: `${quoted(d.title)} waits for your approval`,
        message: `${by} added ${quoted(d.title)} (${total}) to a group that requires approval. It counts in balances once an admin approves it.`,
      });
    }
    await this.notifications.notify(ctx, e, d.byUserId, drafts);
  }

  /**
   * An occurrence expense-worker generated from a recurring expense: nobody added it by hand, so
   * everyone in it is told (its payer and share owners, whoever set it up included) with
   * `recurring_expense_generated` instead of "expense added". Once per event and person, like every
   * notification (the source event id).
   */
  private async onGenerated(e: EventOf<'expense.created'>, ctx: HandlerContext): Promise<void> {
    const d = e.data;
    const paid = totalsByUser(d.payers, d.currency);
    const owed = totalsByUser(d.shares, d.currency);
    const total = money(d.amount, d.currency);
    const drafts: InAppDraft[] = participants(d).map((userId) => {
      const parts = [
        paid.has(userId) ? `you paid ${amountText(paid.get(userId)!, d.currency)} ${d.currency}` : null,
        owed.has(userId) ? `your share is ${amountText(owed.get(userId)!, d.currency)} ${d.currency}` : null,
      ].filter(Boolean);
      return {
        ...this.about(d), userId, type: 'recurring_expense_generated', senderId: null,
        title: `${quoted(d.title)} recurred`,
        message: `The recurring expense ${quoted(d.title)} (${total}) was added for ${d.expenseDate}${parts.length ? `: ${parts.join(', ')}` : ''}.` +
          (d.isApproved ? '' : ' It counts in balances once a group admin approves it.'),
        metadata: { recurringExpenseId: d.recurringExpenseId, expenseDate: d.expenseDate },
      };
    });
    // no actor: nobody is left out
    await this.notifications.notify(ctx, e, null, drafts);
  }

  /** Each person is told what changed for them: their share (and what they paid), before → after. */
  @EventPattern('expense.updated')
  async onUpdated(@Payload() e: EventOf<'expense.updated'>, @Ctx() ctx: HandlerContext): Promise<void> {
    const { em } = ctx;
    const d = e.data;
    const prev = d.previous;
    const by = (await this.people.names(em, [d.byUserId]))(d.byUserId);
    const [paid, owed] = [totalsByUser(d.payers, d.currency), totalsByUser(d.shares, d.currency)];
    const prevCurrency = prev?.currency ?? d.currency;
    const [paidBefore, owedBefore] = [totalsByUser(prev?.payers, prevCurrency), totalsByUser(prev?.shares, prevCurrency)];
    const change = (what: string, before: bigint | undefined, after: bigint | undefined): string | null => {
      if (before === undefined && after === undefined) return null;
      const b = before === undefined ? null : `${amountText(before, prevCurrency)} ${prevCurrency}`;
      const a = after === undefined ? null : `${amountText(after, d.currency)} ${d.currency}`;
      if (!prev) return `${what} is ${a ?? b}`;
      if (b === a) return `${what} ${a} (unchanged)`;
      if (b === null) return `${what} is now ${a}`;
      if (a === null) return `${what} was ${b}, now none`;
      return prevCurrency === d.currency ? `${what} ${amountText(before!, prevCurrency)} → ${amountText(after!, d.currency)} ${d.currency}` : `${what} ${b} → ${a}`;
    };
    const drafts: InAppDraft[] = participants(d, prev).map((userId) => {
      const owes = change('your share', owedBefore.get(userId), owed.get(userId));
      const pays = paid.has(userId) || paidBefore.has(userId) ? change('you paid', paidBefore.get(userId), paid.get(userId)) : null;
      const parts = [owes, pays && !pays.endsWith('(unchanged)') ? pays : null].filter(Boolean);
      return {
        ...this.about(d), userId, type: 'expense_updated',
        title: `${by} edited ${quoted(d.title)}`,
        message: `${by} edited ${quoted(d.title)} (${money(d.amount, d.currency)})${parts.length ? `: ${parts.join('; ')}` : ''}.`,
        metadata: { yourShareBefore: fmt(owedBefore.get(userId), prevCurrency), yourShareAfter: fmt(owed.get(userId), d.currency), currency: d.currency },
      };
    });
    await this.notifications.notify(ctx, e, d.byUserId, drafts);
  }

  @EventPattern('expense.deleted')
  async onDeleted(@Payload() e: EventOf<'expense.deleted'>, @Ctx() ctx: HandlerContext): Promise<void> {
    const { em } = ctx;
    const d = e.data;
    const by = (await this.people.names(em, [d.byUserId]))(d.byUserId);
    const owed = totalsByUser(d.shares, d.currency);
    await this.notifications.notify(ctx, e, d.byUserId, participants(d, d.previous).map((userId) => ({
      ...this.about(d), userId, type: 'expense_deleted' as const,
      title: `${by} deleted ${quoted(d.title)}`,
      message: `${by} deleted ${quoted(d.title)} (${money(d.amount, d.currency)})` +
        (owed.has(userId) ? `; your share was ${amountText(owed.get(userId)!, d.currency)} ${d.currency}` : '') + '. It no longer counts in balances.',
    })));
  }

  private about(d: ExpenseEvent['data']): Pick<InAppDraft, 'relatedObjectType' | 'relatedObjectId' | 'actionUrl' | 'senderId' | 'groupId'> {
    return { relatedObjectType: 'expense', relatedObjectId: d.expenseId, actionUrl: AppPaths.expense(d.expenseId), senderId: d.byUserId, groupId: d.groupId };
  }
}

/** Everyone who pays or owes in the expense now or did before, in first-seen order. */
function participants(d: ExpenseEvent['data'], prev?: { payers: { userId: string }[]; shares: { userId: string }[] }): string[] {
  return [...new Set([...d.payers, ...d.shares, ...(prev?.payers ?? []), ...(prev?.shares ?? [])].map((p) => p.userId))];
}

function fmt(v: bigint | undefined, currency: string): string | null {
  return v === undefined ? null : amountText(v, currency);
}
