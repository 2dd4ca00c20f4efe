import { Controller, Optional } from '@nestjs/common';
import { Ctx, EventOf, EventPattern, HandlerContext, Payload } from '@tally/messaging';
import { AccessTokenVerifier } from '@tally/security';
import { IdentityProjectionRepository } from './identity.repository';

/** Keeps the local `users` and `signing_keys` projections in step with auth-service's events. */
@Controller()
export class IdentityProjectionHandlers {
  constructor(
    private readonly identity: IdentityProjectionRepository,
    @Optional() private readonly verifier?: AccessTokenVerifier,
  ) {}

  @EventPattern('user.registered')
  onRegistered(@Payload() e: EventOf<'user.registered'>, @Ctx() { em }: HandlerContext): Promise<void> {
    return this.identity.upsertRegistered(em, e.data, e.time);
  }

  @EventPattern('user.email_verified')
  onEmailVerified(@Payload() e: EventOf<'user.email_verified'>, @Ctx() { em }: HandlerContext): Promise<void> {
    return this.identity.markEmailVerified(em, e.data, e.time);
  }

  @EventPattern('user.profile_updated')
  onProfileUpdated(@Payload() e: EventOf<'user.profile_updated'>, @Ctx() { em }: HandlerContext): Promise<void> {
    return this.identity.updateProfile(em, e.data, e.time);
  }

  @EventPattern('user.deactivated')
  onDeactivated(@Payload() e: EventOf<'user.deactivated'>, @Ctx() { em }: HandlerContext): Promise<void> {
    return this.identity.setActive(em, e.data.userId, false, e.time);
  }

  @EventPattern('user.reactivated')
  onReactivated(@Payload() e: EventOf<'user.reactivated'>, @Ctx() { em }: HandlerContext): Promise<void> {
    return this.identity.setActive(em, e.data.userId, true, e.time);
  }

  /** Once committed, this process forgets what it cached about the key (and the tokens it verified): a revocation applies at once. */
  @EventPattern('signing_key.published')
  async onSigningKey(@Payload() e: EventOf<'signing_key.published'>, @Ctx() ctx: HandlerContext): Promise<void> {
    await this.identity.upsertSigningKey(ctx.em, e.data, e.time);
    const verifier = this.verifier;
    if (verifier) ctx.afterCommit(async () => verifier.forgetKey(e.data.kid));
  }
}
