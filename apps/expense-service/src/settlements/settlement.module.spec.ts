import { NestFactory } from '@nestjs/core';
import { SettlementHandlers } from './settlement.handlers';
import { SettlementModule } from './settlement.module';
import { SettlementService } from './settlement.service';

describe('SettlementModule', () => {
  it('resolves its handlers and service on its own (nothing but stateless repositories)', async () => {
    const app = await NestFactory.createApplicationContext(SettlementModule, { logger: false, abortOnError: false });
    try {
      for (const token of [SettlementHandlers, SettlementService]) expect(app.get(token, { strict: false })).toBeDefined();
    } finally {
      await app.close();
    }
  });
});
