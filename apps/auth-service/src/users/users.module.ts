import { Module } from '@nestjs/common';
import { KeysModule } from '../keys/keys.module';
import { AccountRepository } from './account.repository';
import { AuthController } from './auth.controller';
import { AuthService } from './auth.service';
import { LoginThrottleRetention } from './login-throttle.retention';
import { PasswordHasher } from './password-hasher';
import { PasswordPolicy } from './password-policy';
import { UserRepository } from './user.repository';

@Module({
  imports: [KeysModule],
  controllers: [AuthController],
  providers: [AuthService, UserRepository, AccountRepository, PasswordHasher, PasswordPolicy, LoginThrottleRetention],
  exports: [UserRepository, AccountRepository, PasswordHasher, PasswordPolicy],
})
export class UsersModule {}
