import { Global, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { MikroORM } from '@mikro-orm/postgresql';
import { IdentityProjectionRepository } from '@tally/identity';
import { OutboxWriter } from '@tally/messaging';
import { InvitationService } from '../invitations/invitation.service';
import { MembershipService } from '../memberships/membership.service';
import { GroupModule } from './group.module';
import { GroupService } from './group.service';

/** What ServiceKitModule provides globally in the running service, as stand-ins. */
@Global()
@Module({
  providers: [{ provide: MikroORM, useValue: {} }, { provide: OutboxWriter, useValue: {} }],
  exports: [MikroORM, OutboxWriter],
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
