import { DynamicModule, Module } from '@nestjs/common';
import { ProjectedUserStatus } from '@tally/identity';
import { ServiceKitModule, ServiceRuntime } from '@tally/service-kit';
import { AdminModule } from './admin/admin.module';
import { KeysModule } from './keys/keys.module';
import { OwnSigningKeySource } from './keys/own-key-source';
import { PeopleModule } from './people/people.module';
import { UsersModule } from './users/users.module';

@Module({})
export class AppModule {
  static forRoot(runtime: ServiceRuntime<any>): DynamicModule {
    return { module: AppModule, imports: [ServiceKitModule.forRoot(runtime, { keys: new OwnSigningKeySource(runtime.orm, runtime.config), userStatus: new ProjectedUserStatus(runtime.orm) }), KeysModule, UsersModule, PeopleModule, AdminModule] };
  }
}
