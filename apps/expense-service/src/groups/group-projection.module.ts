import { Module } from '@nestjs/common';
import { GroupProjectionHandlers } from './group-projection.handlers';
import { GroupProjectionRepository } from './group-projection.repository';

/** expense-service's projection of group-service's groups. */
@Module({ controllers: [GroupProjectionHandlers], providers: [GroupProjectionRepository], exports: [GroupProjectionRepository] })
export class GroupProjectionModule {}
