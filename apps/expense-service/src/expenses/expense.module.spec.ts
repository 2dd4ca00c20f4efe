import { Global, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { MikroORM } from '@mikro-orm/postgresql';
import { IdentityModule } from '@tally/identity';
import { OutboxWriter } from '@tally/messaging';
import { BalanceService } from '../balances/balance.service';
import { ExpenseModule } from './expense.module';
import { ExpenseService } from './expense.service';

/** What ServiceKitModule provides globally in the running service, as stand-ins. */
@Global()
@Module({
  providers: [{ provide: MikroORM, useValue: {} }, { provide: OutboxWriter, useValue: {} }],
  exports: [MikroORM, OutboxWriter],
})
class KitStandIn {}

/** As AppModule imports them: the identity projection once, at the root. */
@Module({ imports: [KitStandIn, IdentityModule.forRoot(), ExpenseModule] })
class Root {}

describe('ExpenseModule', () => {
  it('resolves every provider it declares, the identity projection included (imported once, at the root)', async () => {
    const app = await NestFactory.createApplicationContext(Root, { logger: false, abortOnError: false });
    try {
      for (const token of [ExpenseService, BalanceService]) expect(app.get(token, { strict: false })).toBeDefined();
    } finally {
      await app.close();
    }
  });
});
