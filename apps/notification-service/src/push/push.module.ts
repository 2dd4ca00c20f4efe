import { Module } from '@nestjs/common';
import { PushDeviceHandlers } from './push-device.handlers';
import { PushDeviceRepository } from './push-device.repository';

/** The push channel in the API process: the `push_devices` projection of auth's device.* events. (Sending is the worker's `send-push` job.) */
@Module({
  controllers: [PushDeviceHandlers],
  providers: [PushDeviceRepository],
  exports: [PushDeviceRepository],
})
export class PushModule {}
