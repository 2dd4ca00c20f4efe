import { Module } from '@nestjs/common';

/** Profiles, countries, friendships and devices. */
@Module({})
export class PeopleModule {}
