import { Module } from '@nestjs/common';
import { JwksController } from './jwks.controller';
import { SigningKeyRepository } from './signing-key.repository';
import { SigningKeyService } from './signing-key.service';
import { AuthSecrets } from './secrets';

@Module({ controllers: [JwksController], providers: [SigningKeyService, SigningKeyRepository, AuthSecrets], exports: [SigningKeyService, AuthSecrets] })
export class KeysModule {}
