import { Controller } from '@nestjs/common';
import { Ctx, EventOf, EventPattern, HandlerContext, Payload } from '@tally/messaging';
import { PhoneNumberRepository } from './phone-number.repository';

/** Keeps `user_phone_numbers` in step with auth-service's `user.phone_changed` (auth.phone-number.v1). */
@Controller()
export class PhoneNumberHandlers {
  constructor(private readonly phones: PhoneNumberRepository) {}

  /** Set, changed or cleared (null); older events than the row's are ignored. */
  @EventPattern('user.phone_changed')
  async onPhoneChanged(@Payload() e: EventOf<'user.phone_changed'>, @Ctx() { em }: HandlerContext): Promise<void> {
    await this.phones.apply(em, e.data, e.time);
  }
}
