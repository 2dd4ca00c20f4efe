import { Body, Controller, Delete, Get, HttpCode, Param, Put, Query, Res, UseGuards } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { PageQueryDto } from '@tally/service-kit';
import { AdminAccessGuard, CurrentAdmin } from './admin-access.guard';
import { AdminCaller } from './admin-policy';
import { ConfigKeyParams, PutConfigurationDto } from './dto/configurations.dto';
import { SystemConfigurationService } from './system-configuration.service';

@Controller('api/v1/admin/configurations')
@UseGuards(AdminAccessGuard)
export class SystemConfigurationController {
  constructor(private readonly configs: SystemConfigurationService) {}

  @Get()
  list(@Query() page: PageQueryDto) {
    return this.configs.list(page.limit, page.offset);
  }

  @Get(':key')
  get(@Param() p: ConfigKeyParams) {
    return this.configs.get(p.key);
  }

  /** 201 when it creates the key, 200 when it replaces it. */
  @Put(':key')
  async put(@CurrentAdmin() admin: AdminCaller, @Param() p: ConfigKeyParams, @Body() dto: PutConfigurationDto, @Res({ passthrough: true }) reply: FastifyReply) {
    const { created, configuration } = await this.configs.put(admin, p.key, dto);
    void reply.status(created ? 201 : 200);
    return configuration;
  }

  @Delete(':key')
  @HttpCode(204)
  async remove(@CurrentAdmin() admin: AdminCaller, @Param() p: ConfigKeyParams): Promise<void> {
    await this.configs.remove(admin, p.key);
  }
}
