import { Module } from '@nestjs/common';
import { NotificationController } from './notification.controller';
import { DeliveryPlanRepository } from '../deliveries/delivery-plan.repository';
import { DeliveryScheduler } from '../deliveries/delivery-scheduler';
import { NotificationHandlers } from './notification.handlers';
import { NotificationRepository } from './notification.repository';
import { NotificationService } from './notification.service';

@Module({ controllers: [NotificationController, NotificationHandlers], providers: [NotificationService, NotificationRepository, DeliveryScheduler, DeliveryPlanRepository], exports: [NotificationService] })
export class NotificationModule {}
