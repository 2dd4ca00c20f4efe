import { Module } from '@nestjs/common';
import { PhoneNumberHandlers } from './phone-number.handlers';
import { PhoneNumberRepository } from './phone-number.repository';

/** The SMS channel in the API process: the `user_phone_numbers` projection of auth's user.phone_changed. (Sending is the worker's `send-sms` job.) */
@Module({
  controllers: [PhoneNumberHandlers],
  providers: [PhoneNumberRepository],
  exports: [PhoneNumberRepository],
})
export class SmsModule {}
