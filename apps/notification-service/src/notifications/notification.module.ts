import { Module } from '@nestjs/common';
import { NotificationController } from './notification.controller';
import { NotificationHandlers } from './notification.handlers';
import { NotificationRepository } from './notification.repository';
import { NotificationService } from './notification.service';

@Module({ controllers: [NotificationController, NotificationHandlers], providers: [NotificationService, NotificationRepository], exports: [NotificationService] })
export class NotificationModule {}
