import { Module } from '@nestjs/common';
import { MembershipProjectionModule } from '@tally/projections';
import { NotificationModule } from '../notifications/notification.module';
import { BudgetNotificationHandlers } from './budget.handlers';
import { CommentNotificationHandlers } from './comment.handlers';
import { ExpenseNotificationHandlers } from './expense.handlers';
import { FriendshipNotificationHandlers } from './friendship.handlers';
import { MembershipNotificationHandlers } from './membership.handlers';
import { People } from './people';
import { SettlementNotificationHandlers } from './settlement.handlers';

/**
 * Notifications from every domain event: each handler stores one in-app notification per person
 * concerned (never the one who acted), once per event, in the consumer's transaction.
 */
@Module({
  imports: [NotificationModule, MembershipProjectionModule],
  controllers: [FriendshipNotificationHandlers, MembershipNotificationHandlers, ExpenseNotificationHandlers, CommentNotificationHandlers, SettlementNotificationHandlers, BudgetNotificationHandlers],
  providers: [People],
})
export class ProducerModule {}
