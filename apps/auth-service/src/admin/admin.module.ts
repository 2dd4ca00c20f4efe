import { Module } from '@nestjs/common';
import { KeysModule } from '../keys/keys.module';
import { UsersModule } from '../users/users.module';
import { AdminAccessGuard } from './admin-access.guard';
import { AdminSigningKeysController } from './admin-signing-keys.controller';
import { AdminSigningKeysService } from './admin-signing-keys.service';
import { AdminUserRepository } from './admin-user.repository';
import { AdminUsersController } from './admin-users.controller';
import { AdminUsersService } from './admin-users.service';
import { SystemConfigurationController } from './system-configuration.controller';
import { SystemConfigurationRepository } from './system-configuration.repository';
import { SystemConfigurationService } from './system-configuration.service';

/**
 * Admin routes over users, system configurations and signing keys (/api/v1/admin/*).
 * Every controller is behind AdminAccessGuard; see admin-policy.ts and README.md for who may do what.
 */
@Module({
  imports: [KeysModule, UsersModule],
  controllers: [AdminUsersController, SystemConfigurationController, AdminSigningKeysController],
  providers: [
    AdminAccessGuard, AdminUserRepository, AdminUsersService, SystemConfigurationRepository, SystemConfigurationService,
    AdminSigningKeysService,
  ],
})
export class AdminModule {}
