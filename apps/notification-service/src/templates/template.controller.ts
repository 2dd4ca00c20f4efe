import { Body, Controller, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { AuthenticatedUser, CurrentUser } from '@tally/security';
import { CreateTemplateDto, ListTemplatesQueryDto, PreviewTemplateDto, UpdateTemplateDto } from './dto/template.dto';
import { TemplateAdminService } from './template-admin.service';
import { TemplateIdPipe } from './template.params';

/** Notification templates, for platform admins (everyone else: 403 ADMIN_REQUIRED). */
@Controller('api/v1/notification-templates')
export class TemplateController {
  constructor(private readonly templates: TemplateAdminService) {}

  /** Newest first, cursor pages; `?type=&channel=&language=` filter. */
  @Get()
  list(@CurrentUser() user: AuthenticatedUser, @Query() q: ListTemplatesQueryDto) {
    return this.templates.list(user, q);
  }

  /** A new template for a type, channel and language (a language variant): 201, or 409 TEMPLATE_EXISTS. */
  @Post()
  create(@CurrentUser() user: AuthenticatedUser, @Body() body: CreateTemplateDto) {
    return this.templates.create(user, body);
  }

  @Get(':id')
  get(@CurrentUser() user: AuthenticatedUser, @Param('id', TemplateIdPipe) id: string) {
    return this.templates.get(user, id);
  }

  /** Subject, body, variables, isActive; a body or subject that does not compile is 400 TEMPLATE_INVALID. */
  @Patch(':id')
  update(@CurrentUser() user: AuthenticatedUser, @Param('id', TemplateIdPipe) id: string, @Body() body: UpdateTemplateDto) {
    return this.templates.update(user, id, { subject: body.subject, body: body.body, variables: body.variables, isActive: body.isActive });
  }

  /** The template rendered with `variables` (examples fill in the rest): `{ subject, text, html }`. */
  @Post(':id/preview')
  @HttpCode(200)
  preview(@CurrentUser() user: AuthenticatedUser, @Param('id', TemplateIdPipe) id: string, @Body() body: PreviewTemplateDto) {
    return this.templates.preview(user, id, body.variables ?? {});
  }
}
