import { Global, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { MikroORM } from '@mikro-orm/postgresql';
import { IdentityProjectionRepository } from '@tally/identity';
import { OutboxWriter } from '@tally/messaging';
import { ServiceRuntime } from '@tally/service-kit';
import pino from 'pino';
import { Registry } from 'prom-client';
import { InvitationService } from '../invitations/invitation.service';
import { MembershipService } from '../memberships/membership.service';
import { GroupModule } from './group.module';
import { GroupService } from './group.service';

/** What ServiceKitModule provides globally in the running service, as stand-ins. */
@Global()
@Module({
  providers: [
    { provide: MikroORM, useValue: {} },
    { provide: OutboxWriter, useValue: {} },
    // The group list cache off: no LISTEN connection in a unit test.
    { provide: ServiceRuntime, useValue: { config: { GROUP_LIST_CACHE_MB: 0 }, logger: pino({ level: 'silent' }), metrics: { registry: new Registry() }, healthChecks: [] } },
  ],
  exports: [MikroORM, OutboxWriter, ServiceRuntime],
})
class KitStandIn {}

@Module({ imports: [KitStandIn, GroupModule] })
class Root {}

describe('GroupModule', () => {
  it('resolves every provider it declares (group-service failed to start when the identity repository was not importable)', async () => {
    const app = await NestFactory.createApplicationContext(Root, { logger: false, abortOnError: false });
    try {
      for (const token of [GroupService, MembershipService, InvitationService, IdentityProjectionRepository]) expect(app.get(token, { strict: false })).toBeDefined();
    } finally {
      await app.close();
    }
  });
});
