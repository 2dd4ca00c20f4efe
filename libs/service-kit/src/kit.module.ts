import { DynamicModule, Global, Module, Provider } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { JwtModule, JwtService } from '@nestjs/jwt';
import { MikroORM } from '@mikro-orm/postgresql';
import { EventConsumer, OutboxWriter } from '@tally/messaging';
import { AccessTokenGuard, AccessTokenVerifier, PublicKeySource, UserStatusSource, VerifiedTokenCache, accessTokenJwtOptions } from '@tally/security';
import { Metrics } from '@tally/observability';
import { ServiceRuntime } from './runtime';

export const REDIS = Symbol('REDIS');
export const CONFIG = Symbol('CONFIG');

/** Makes the runtime's parts injectable and turns on token verification for every route. */
@Global()
@Module({})
export class ServiceKitModule {
  /**
   * `identity` says where public keys and users' active flags come from: the identity projections'
   * tables (`identitySources(orm)` of @tally/identity) in every service, auth's own tables in auth.
   */
  static forRoot(runtime: ServiceRuntime<any>, identity: { keys: PublicKeySource; userStatus: UserStatusSource }): DynamicModule {
    const jwtOptions = { issuer: runtime.config.JWT_ISSUER, audience: runtime.config.JWT_AUDIENCE };
    const providers: Provider[] = [
      { provide: ServiceRuntime, useValue: runtime },
      { provide: CONFIG, useValue: runtime.config },
      { provide: MikroORM, useValue: runtime.orm },
      { provide: OutboxWriter, useValue: runtime.outbox },
      { provide: EventConsumer, useValue: runtime.consumer },
      { provide: Metrics, useValue: runtime.metrics },
      // Verified through @nestjs/jwt; a token is verified once per process, then answered from the cache until it expires.
      {
        provide: AccessTokenVerifier,
        inject: [JwtService],
        useFactory: (jwt: JwtService) => new AccessTokenVerifier(identity.keys, { ...jwtOptions, jwt, cache: new VerifiedTokenCache() }),
      },
      { provide: UserStatusSource, useValue: identity.userStatus },
      { provide: REDIS, useValue: runtime.redis ?? null },
      { provide: APP_GUARD, useClass: AccessTokenGuard },
    ];
    return {
      module: ServiceKitModule,
      imports: [JwtModule.register(accessTokenJwtOptions(jwtOptions))],
      providers,
      exports: providers.filter((p) => (p as { provide: unknown }).provide !== APP_GUARD),
    };
  }
}
