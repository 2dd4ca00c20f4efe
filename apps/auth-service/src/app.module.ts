import { DynamicModule, Module } from '@nestjs/common';
import { identitySources } from '@tally/identity';
import { ServiceKitModule, ServiceRuntime } from '@tally/service-kit';
import { AdminModule } from './admin/admin.module';
import { KeysModule } from './keys/keys.module';
import { PeopleModule } from './people/people.module';
import { UsersModule } from './users/users.module';

@Module({})
export class AppModule {
  static forRoot(runtime: ServiceRuntime<any>): DynamicModule {
    return { module: AppModule, imports: [ServiceKitModule.forRoot(runtime, identitySources(runtime.orm)), KeysModule, UsersModule, PeopleModule, AdminModule] };
  }
}
