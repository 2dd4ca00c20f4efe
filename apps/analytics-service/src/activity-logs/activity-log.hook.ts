import { Injectable, OnModuleInit } from '@nestjs/common';
import type { EventEnvelope, EventType } from '@tally/contracts';
import { EventConsumer, EventHook, HandlerContext } from '@tally/messaging';
import { ActivityLogRepository } from './activity-log.repository';
import { activityFromEvent } from './activity-log.service';

/**
 * Event types that write an audit row. Only topics every service may read: `email_verification.requested`
 * (it carries a token) and `signing_key.published` (no user, infrastructure) are deliberately not audited.
 */
export const AUDITED_EVENT_TYPES: readonly EventType[] = [
  'user.registered', 'user.email_verified',
  // group-service: every change of a group, its memberships and invitations
  'group.created', 'group.updated', 'group.archived', 'group.unarchived', 'group.deleted', 'group.invite_code_changed',
  'membership.joined', 'membership.role_changed', 'membership.left', 'membership.removed', 'membership.declined', 'membership.preferences_updated',
  'invitation.created', 'invitation.accepted', 'invitation.declined', 'invitation.revoked', 'invitation.expired',
  // expense-service: every change of a shared expense
  'expense.created', 'expense.updated', 'expense.deleted', 'expense.restored', 'expense.approved',
  // expense-service: comments on expenses and replies (expense.comment.v1)
  'comment.created', 'comment.updated', 'comment.deleted',
  // expense-service: recurring expense templates (expense.recurring-expense.v1); their occurrences are expense.created
  'recurring_expense.created', 'recurring_expense.updated', 'recurring_expense.paused', 'recurring_expense.resumed', 'recurring_expense.deleted', 'recurring_expense.deactivated',
];

/**
 * The audit trail: a hook every audited event passes through after its handlers (the identity projections),
 * writing its `activity_logs` row in the same transaction as their effects and the inbox record.
 */
@Injectable()
export class ActivityLogHook implements EventHook, OnModuleInit {
  readonly types = AUDITED_EVENT_TYPES;

  constructor(private readonly consumer: EventConsumer, private readonly activity: ActivityLogRepository) {}

  onModuleInit(): void {
    this.consumer.use(this);
  }

  async run(event: EventEnvelope, ctx: HandlerContext): Promise<void> {
    await this.activity.insert(ctx.em, activityFromEvent(event));
  }
}
