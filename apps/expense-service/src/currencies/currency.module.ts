import { Module } from '@nestjs/common';
import { CurrencyController } from './currency.controller';
import { CurrencyRepository } from './currency.repository';
import { CurrencyService } from './currency.service';

@Module({ controllers: [CurrencyController], providers: [CurrencyRepository, CurrencyService], exports: [CurrencyService, CurrencyRepository] })
export class CurrencyModule {}
