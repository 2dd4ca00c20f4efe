import { Module } from '@nestjs/common';
import { KeysModule } from '../keys/keys.module';
import { AuthController } from './auth.controller';
import { AuthService } from './auth.service';
import { PasswordHasher } from './password-hasher';
import { UserRepository } from './user.repository';

@Module({ imports: [KeysModule], controllers: [AuthController], providers: [AuthService, UserRepository, PasswordHasher] })
export class UsersModule {}
