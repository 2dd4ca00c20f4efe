import { Module } from '@nestjs/common';
import { PreferenceController } from './preference.controller';
import { PreferenceRepository } from './preference.repository';
import { PreferenceService } from './preference.service';

/** Users' notification preferences; PreferenceRepository.forUsers is what deliveries read. */
@Module({ controllers: [PreferenceController], providers: [PreferenceService, PreferenceRepository], exports: [PreferenceRepository] })
export class PreferenceModule {}
