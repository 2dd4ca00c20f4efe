import { DynamicModule, Module } from '@nestjs/common';
import { IdentityModule, identitySources } from '@tally/identity';
import { ServiceKitModule } from '@tally/service-kit';
import { DELIVERY_QUEUE, PLANNER_TIME, PREFERENCE_SOURCE } from './deliveries/delivery-scheduler';
import { EMAIL_QUEUE } from './notifications/notification.handlers';
import { NotificationModule } from './notifications/notification.module';
import { OperationsModule } from './operations/operations.module';
import { PreferenceModule } from './preferences/preference.module';
import { PreferenceRepository } from './preferences/preference.repository';
import { nextDigestAt, quietHoursEnd } from './preferences/preference-schedule';
import { ProducerModule } from './producers/producer.module';
import { PushModule } from './push/push.module';
import { SmsModule } from './sms/sms.module';
import { SmsStatusModule } from './sms/sms-status.controller';
import type { NotificationRuntime } from './runtime';
import { StreamModule } from './stream/stream.module';
import { TemplateModule } from './templates/template.module';
import { TrackingModule } from './tracking/tracking.controller';

@Module({})
export class AppModule {
  static forRoot({ runtime, emailQueue, deliveryQueue }: NotificationRuntime): DynamicModule {
    return {
      module: AppModule,
      global: true,
      imports: [ServiceKitModule.forRoot(runtime, identitySources(runtime.orm)), IdentityModule.forRoot({ keepEmail: true }), StreamModule, NotificationModule, ProducerModule, PreferenceModule, TemplateModule, PushModule, TrackingModule, SmsModule, SmsStatusModule, OperationsModule],
      providers: [
        { provide: EMAIL_QUEUE, useValue: emailQueue },
        { provide: DELIVERY_QUEUE, useValue: deliveryQueue },
        { provide: PREFERENCE_SOURCE, useExisting: PreferenceRepository },
        { provide: PLANNER_TIME, useValue: { quietHoursEnd, nextDigestAt } },
      ],
      exports: [EMAIL_QUEUE, DELIVERY_QUEUE, PREFERENCE_SOURCE, PLANNER_TIME],
    };
  }
}
