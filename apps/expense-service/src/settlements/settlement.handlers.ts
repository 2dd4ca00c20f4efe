import { Controller } from '@nestjs/common';
import { Ctx, EventOf, EventPattern, HandlerContext, Payload } from '@tally/messaging';
import { SettlementService } from './settlement.service';

/**
 * payment-service's settlement events, in the consumer's transaction (with the inbox record): a completed
 * settlement moves balances and settles the shares it pays, a reversed one takes that back (ADR 12).
 */
@Controller()
export class SettlementHandlers {
  constructor(private readonly settlements: SettlementService) {}

  @EventPattern('settlement.completed')
  onCompleted(@Payload() e: EventOf<'settlement.completed'>, @Ctx() { em }: HandlerContext) {
    return this.settlements.complete(em, e.data, e.time);
  }

  @EventPattern('settlement.reversed')
  onReversed(@Payload() e: EventOf<'settlement.reversed'>, @Ctx() { em }: HandlerContext) {
    return this.settlements.reverse(em, e.data, e.time);
  }
}
