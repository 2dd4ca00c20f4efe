import { Module } from '@nestjs/common';
import { NotificationController } from './notification.controller';
import { GroupSettingsModule } from '../group-settings/group-settings';
import { DeliveryPlanRepository } from '../deliveries/delivery-plan.repository';
import { DeliveryScheduler } from '../deliveries/delivery-scheduler';
import { NotificationHandlers } from './notification.handlers';
import { NotificationRepository } from './notification.repository';
import { NotificationService } from './notification.service';

@Module({ imports: [GroupSettingsModule], controllers: [NotificationController, NotificationHandlers], providers: [NotificationService, NotificationRepository, DeliveryScheduler, DeliveryPlanRepository], exports: [NotificationService] })
export class NotificationModule {}
