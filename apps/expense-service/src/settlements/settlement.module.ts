import { Module } from '@nestjs/common';
import { BalanceRepository } from '../balances/balance.repository';
import { SettlementHandlers } from './settlement.handlers';
import { SettlementRepository } from './settlement.repository';
import { SettlementService } from './settlement.service';

/** Completed settlements (payment-service's events): expense-service's projection of them and the shares they settle. */
@Module({
  controllers: [SettlementHandlers],
  providers: [SettlementRepository, SettlementService, BalanceRepository],
})
export class SettlementModule {}
