import { Module } from '@nestjs/common';
import { TemplateAdminService } from './template-admin.service';
import { TemplateController } from './template.controller';
import { TemplateRepository } from './template.repository';
import { TemplateService } from './template.service';

/** Message templates: rendering (TemplateService, also built by hand in the worker) and the admin API. */
@Module({ controllers: [TemplateController], providers: [TemplateService, TemplateAdminService, TemplateRepository], exports: [TemplateService] })
export class TemplateModule {}
