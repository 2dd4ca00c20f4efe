import { DynamicModule, Module } from '@nestjs/common';
import { IdentityModule, identitySources } from '@tally/identity';
import { ServiceKitModule, ServiceRuntime } from '@tally/service-kit';
import { ActivityLogModule } from './activity-logs/activity-log.module';
import { BudgetTrackingModule } from './budgets/budget-tracking.module';

@Module({})
export class AppModule {
  static forRoot(runtime: ServiceRuntime<any>): DynamicModule {
    return { module: AppModule, imports: [ServiceKitModule.forRoot(runtime, identitySources(runtime.orm)), IdentityModule.forRoot(), ActivityLogModule, BudgetTrackingModule] };
  }
}
