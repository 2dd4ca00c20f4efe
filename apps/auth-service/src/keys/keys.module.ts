import { Module } from '@nestjs/common';
import { JwtModule } from '@nestjs/jwt';
import { ACCESS_TOKEN_ALG, ACCESS_TOKEN_HEADER_TYP, accessTokenJwtOptions } from '@tally/security';
import { CONFIG } from '@tally/service-kit';
import { AuthServiceConfig } from '../config/auth.config';
import { JwksController } from './jwks.controller';
import { SigningKeyRepository } from './signing-key.repository';
import { SigningKeyService } from './signing-key.service';
import { AuthSecrets } from './secrets';

/** Access tokens are signed through @nestjs/jwt: ES256, the key's kid, issuer, audience, lifetime and the RFC 9068 `at+jwt` type. */
const jwt = JwtModule.registerAsync({
  inject: [CONFIG],
  useFactory: (config: AuthServiceConfig) => ({
    signOptions: {
      algorithm: ACCESS_TOKEN_ALG,
      issuer: config.JWT_ISSUER,
      audience: config.JWT_AUDIENCE,
      expiresIn: config.ACCESS_TOKEN_TTL_SECONDS,
      header: { alg: ACCESS_TOKEN_ALG, typ: ACCESS_TOKEN_HEADER_TYP },
    },
    ...accessTokenJwtOptions({ issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE }),
  }),
});

@Module({ imports: [jwt], controllers: [JwksController], providers: [SigningKeyService, SigningKeyRepository, AuthSecrets], exports: [SigningKeyService, AuthSecrets] })
export class KeysModule {}
