import { DynamicModule, Module } from '@nestjs/common';
import { IdentityProjectionHandlers } from './identity.handlers';
import { IDENTITY_OPTIONS, IdentityProjectionOptions, IdentityProjectionRepository } from './identity.repository';

/**
 * The identity projections every service but auth keeps (ARCHITECTURE.md: services never call each
 * other): auth's users and the public keys that sign access tokens, fed by its events. Import it in the
 * app module, add `identityEntities` to the ORM's entities and run the `IDENTITY_PROJECTION_SQL*`
 * constants from the service's migrations. Import it once, anywhere: it is global.
 */
@Module({})
export class IdentityModule {
  static forRoot(opts: IdentityProjectionOptions = {}): DynamicModule {
    return {
      module: IdentityModule,
      // Global: any module of the service may read the projection (names, time zones, addresses).
      global: true,
      controllers: [IdentityProjectionHandlers],
      providers: [{ provide: IDENTITY_OPTIONS, useValue: opts }, IdentityProjectionRepository],
      exports: [IdentityProjectionRepository],
    };
  }
}
