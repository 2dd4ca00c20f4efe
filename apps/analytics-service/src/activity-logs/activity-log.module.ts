import { Module } from '@nestjs/common';
import { ActivityLogController } from './activity-log.controller';
import { ActivityLogHook } from './activity-log.hook';
import { ActivityLogRepository } from './activity-log.repository';
import { ActivityLogService } from './activity-log.service';

@Module({ controllers: [ActivityLogController], providers: [ActivityLogService, ActivityLogRepository, ActivityLogHook] })
export class ActivityLogModule {}
