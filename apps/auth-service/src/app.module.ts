import { DynamicModule, Module } from '@nestjs/common';
import { ServiceKitModule, ServiceRuntime } from '@tally/service-kit';
import { KeysModule } from './keys/keys.module';
import { UsersModule } from './users/users.module';

@Module({})
export class AppModule {
  static forRoot(runtime: ServiceRuntime<any>): DynamicModule {
    return { module: AppModule, imports: [ServiceKitModule.forRoot(runtime), KeysModule, UsersModule] };
  }
}
