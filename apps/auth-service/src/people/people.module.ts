import { Module } from '@nestjs/common';
import { CountryController } from './country.controller';
import { CountryRepository } from './country.repository';
import { CountryService } from './country.service';
import { DeviceController } from './device.controller';
import { DeviceRepository } from './device.repository';
import { DeviceService } from './device.service';
import { FriendshipController } from './friendship.controller';
import { FriendshipRepository } from './friendship.repository';
import { FriendshipService } from './friendship.service';
import { ProfileController } from './profile.controller';
import { ProfileTotalsHandlers } from './profile-totals.handlers';
import { ProfileRepository } from './profile.repository';
import { ProfileService } from './profile.service';

/** Profiles, countries, friendships and devices. */
@Module({
  controllers: [ProfileController, FriendshipController, DeviceController, CountryController, ProfileTotalsHandlers],
  providers: [
    ProfileService, ProfileRepository, CountryService, CountryRepository, FriendshipService, FriendshipRepository, DeviceService,
    DeviceRepository,
  ],
})
export class PeopleModule {}
