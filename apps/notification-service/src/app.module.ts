import { DynamicModule, Module } from '@nestjs/common';
import { IdentityModule, identitySources } from '@tally/identity';
import { ServiceKitModule } from '@tally/service-kit';
import { EMAIL_QUEUE } from './notifications/notification.handlers';
import { NotificationModule } from './notifications/notification.module';
import { PreferenceModule } from './preferences/preference.module';
import { ProducerModule } from './producers/producer.module';
import type { NotificationRuntime } from './runtime';
import { TemplateModule } from './templates/template.module';

@Module({})
export class AppModule {
  static forRoot({ runtime, emailQueue }: NotificationRuntime): DynamicModule {
    return {
      module: AppModule,
      global: true,
      imports: [ServiceKitModule.forRoot(runtime, identitySources(runtime.orm)), IdentityModule.forRoot({ keepEmail: true }), NotificationModule, ProducerModule, PreferenceModule, TemplateModule],
      providers: [{ provide: EMAIL_QUEUE, useValue: emailQueue }],
      exports: [EMAIL_QUEUE],
    };
  }
}
