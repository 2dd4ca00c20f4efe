import { Module } from '@nestjs/common';
import { OutboxWriter } from '@tally/messaging';
import { FriendshipProjectionModule, MembershipProjectionModule, MembershipProjectionRepository } from '@tally/projections';
import { IdempotencyModule } from '../idempotency/idempotency.module';
import { PaymentMethodModule } from '../payment-methods/payment-method.module';
import { SettlementLifecycle } from './settlement-lifecycle';
import { SettlementController } from './settlement.controller';
import { SettlementRepository } from './settlement.repository';
import { SettlementService } from './settlement.service';

/** Settlements; exports SettlementLifecycle (and the repository) for payments. */
@Module({
  imports: [MembershipProjectionModule, FriendshipProjectionModule, PaymentMethodModule, IdempotencyModule],
  controllers: [SettlementController],
  providers: [
    SettlementRepository,
    SettlementService,
    {
      provide: SettlementLifecycle,
      inject: [OutboxWriter, SettlementRepository, MembershipProjectionRepository],
      useFactory: (outbox: OutboxWriter, repo: SettlementRepository, members: MembershipProjectionRepository) => new SettlementLifecycle(outbox, repo, members),
    },
  ],
  exports: [SettlementLifecycle, SettlementRepository],
})
export class SettlementModule {}
