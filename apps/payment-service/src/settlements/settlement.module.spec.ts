import { Global, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { MikroORM } from '@mikro-orm/postgresql';
import { OutboxWriter } from '@tally/messaging';
import { CONFIG } from '@tally/service-kit';
import { IdempotencyService } from '../idempotency/idempotency.service';
import { PaymentMethodService } from '../payment-methods/payment-method.service';
import { SettlementLifecycle } from './settlement-lifecycle';
import { SettlementModule } from './settlement.module';
import { SettlementService } from './settlement.service';

/** What ServiceKitModule provides globally in the running service, as stand-ins. */
@Global()
@Module({
  providers: [
    { provide: MikroORM, useValue: {} },
    { provide: OutboxWriter, useValue: new OutboxWriter('payment-service') },
    { provide: CONFIG, useValue: { SECRETS_KEY: Buffer.alloc(32, 7).toString('base64'), IDEMPOTENCY_PRUNE_EVERY_SECONDS: 0 } },
  ],
  exports: [MikroORM, OutboxWriter, CONFIG],
})
class KitStandIn {}

@Module({ imports: [KitStandIn, SettlementModule] })
class Root {}

describe('SettlementModule', () => {
  it('resolves settlements, payment methods, idempotency and the lifecycle payments use', async () => {
    const app = await NestFactory.createApplicationContext(Root, { logger: false, abortOnError: false });
    try {
      for (const token of [SettlementService, PaymentMethodService, IdempotencyService, SettlementLifecycle]) expect(app.get(token, { strict: false })).toBeDefined();
    } finally {
      await app.close();
    }
  });
});
