import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { AuthenticatedUser, CurrentUser } from '@tally/security';
import { PageQueryDto } from '@tally/service-kit';
import { DeviceService } from './device.service';
import { RegisterDeviceDto } from './dto/device.dto';
import { UuidParamPipe } from './params';

@Controller('api/v1/devices')
export class DeviceController {
  constructor(private readonly devices: DeviceService) {}

  /** 201 with a new device; 200 when the caller's own install registered again. */
  @Post()
  async register(@CurrentUser() user: AuthenticatedUser, @Body() dto: RegisterDeviceDto, @Res({ passthrough: true }) reply: FastifyReply) {
    const { device, created } = await this.devices.register(user.id, dto);
    void reply.status(created ? 201 : 200);
    return device;
  }

  @Get()
  list(@CurrentUser() user: AuthenticatedUser, @Query() page: PageQueryDto) {
    return this.devices.list(user.id, page.limit, page.offset);
  }

  @Post(':id/seen')
  @HttpCode(200)
  seen(@CurrentUser() user: AuthenticatedUser, @Param('id', UuidParamPipe) id: string) {
    return this.devices.touch(user.id, id);
  }

  @Delete(':id')
  @HttpCode(204)
  async remove(@CurrentUser() user: AuthenticatedUser, @Param('id', UuidParamPipe) id: string): Promise<void> {
    await this.devices.remove(user.id, id);
  }
}
