import { DynamicModule, Module } from '@nestjs/common';
import { identitySources } from '@tally/identity';
import { ServiceKitModule, ServiceRuntime } from '@tally/service-kit';
import { GroupModule } from './groups/group.module';

@Module({})
export class AppModule {
  static forRoot(runtime: ServiceRuntime<any>): DynamicModule {
    return { module: AppModule, imports: [ServiceKitModule.forRoot(runtime, identitySources(runtime.orm)), GroupModule] };
  }
}
